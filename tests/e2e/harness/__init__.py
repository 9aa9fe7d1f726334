"""Test harness for the relais end-to-end suite: the recording upstream, a raw
HTTP/1.1 client, the relais process wrapper and a YAML writer for configs."""
