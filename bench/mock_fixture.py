#!/usr/bin/env python3
"""mock_fixture.py PAYLOAD — prints a mock fixture (docs/mocks.md) that
answers GET /bench with PAYLOAD's bytes, for the mock scenario of run.sh."""
import json
import sys

body = open(sys.argv[1]).read()
json.dump({"name": "bench", "match": {"method": "GET", "path": "/bench"},
           "response": {"status": 200, "headers": {"content-type": "application/json"}, "body": body}},
          sys.stdout)
