/* test_sigv4.c — upstream/sigv4 against AWS's published SigV4 test suite
 * (docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html:
 * AKIDEXAMPLE, 20150830T123600Z, us-east-1, service "service") and the S3
 * "GET object" example of the S3 API reference. Expected strings are the
 * suite's *.authz / *.creq / *.sts files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "upstream/sigv4.h"

#define DATE "20150830T123600Z"
#define CRED "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
#define STS_TOKEN                                                                                            \
    "AQoDYXdzEPT//////////"                                                                                  \
    "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfK"                   \
    "D8YUuwthAx7mSEI/qkPpKPi/"                                                                               \
    "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8"                       \
    "Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"                                           \
    "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iS"                                                           \
    "IlTJabIQwj2ICCR/oLxBA=="

static const rl_sigv4_key_t suite_key = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                         "us-east-1", "service"};

typedef struct vec {
    const char *name, *method, *path, *query;
    const char *hdrs[8]; /* "Name:value", as in the .req file */
    const char *body;
    const char *authz;
} vec_t;

static const vec_t vectors[] = {
    {"get-vanilla",
     "GET",
     "/",
     NULL,
     {"Host:example.amazonaws.com", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-vanilla-query-order-key-case",
     "GET",
     "/",
     "Param2=value2&Param1=value1",
     {"Host:example.amazonaws.com", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
    {"get-vanilla-query-order-key",
     "GET",
     "/",
     "Param1=value2&Param1=Value1",
     {"Host:example.amazonaws.com", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},
    {"get-vanilla-query-order-value",
     "GET",
     "/",
     "Param1=value2&Param1=value1",
     {"Host:example.amazonaws.com", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
    {"get-vanilla-query-unreserved",
     "GET",
     "/",
     "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
     "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
     {"Host:example.amazonaws.com", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
    {"get-vanilla-utf8-query",
     "GET",
     "/",
     "\xe1\x88\xb4=bar",
     {"Host:example.amazonaws.com", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
    {"get-vanilla-empty-query-key",
     "GET",
     "/",
     "Param1=value1",
     {"Host:example.amazonaws.com", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
    {"get-unreserved",
     "GET",
     "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
     NULL,
     {"Host:example.amazonaws.com", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
    {"get-header-value-trim",
     "GET",
     "/",
     NULL,
     {"Host:example.amazonaws.com", "My-Header1: value1", "My-Header2: \"a   b   c\"", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
          "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
    {"get-header-key-duplicate",
     "GET",
     "/",
     NULL,
     {"Host:example.amazonaws.com", "My-Header1:value2", "My-Header1:value2", "My-Header1:value1",
      "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;my-header1;x-amz-date, "
          "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
    {"get-header-value-order",
     "GET",
     "/",
     NULL,
     {"Host:example.amazonaws.com", "My-Header1:value4", "My-Header1:value1", "My-Header1:value3",
      "My-Header1:value2", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;my-header1;x-amz-date, "
          "Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
    {"get-space",
     "GET",
     "/example space/",
     NULL,
     {"Host:example.amazonaws.com", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
    {"get-relative-relative",
     "GET",
     "/example1/example2/../..",
     NULL,
     {"Host:example.amazonaws.com", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-slash",
     "GET",
     "//",
     NULL,
     {"Host:example.amazonaws.com", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-slash-dot-slash",
     "GET",
     "/./",
     NULL,
     {"Host:example.amazonaws.com", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-slash-pointless-dot",
     "GET",
     "/./example",
     NULL,
     {"Host:example.amazonaws.com", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
    {"get-slashes",
     "GET",
     "//example//",
     NULL,
     {"Host:example.amazonaws.com", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
    {"post-vanilla",
     "POST",
     "/",
     NULL,
     {"Host:example.amazonaws.com", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
    {"post-vanilla-query",
     "POST",
     "/",
     "Param1=value1",
     {"Host:example.amazonaws.com", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
    {"post-header-key-sort",
     "POST",
     "/",
     NULL,
     {"Host:example.amazonaws.com", "My-Header1:value1", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;my-header1;x-amz-date, "
          "Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
    {"post-header-value-case",
     "POST",
     "/",
     NULL,
     {"Host:example.amazonaws.com", "My-Header1:VALUE1", "X-Amz-Date:" DATE},
     "",
     CRED "SignedHeaders=host;my-header1;x-amz-date, "
          "Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
    /* The suite's .req files sign exactly these headers (not Content-Length). */
    {"post-x-www-form-urlencoded",
     "POST",
     "/",
     NULL,
     {"Content-Type:application/x-www-form-urlencoded", "Host:example.amazonaws.com", "X-Amz-Date:" DATE},
     "Param1=value1",
     CRED "SignedHeaders=content-type;host;x-amz-date, "
          "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
    {"post-x-www-form-urlencoded-parameters",
     "POST",
     "/",
     NULL,
     {"Content-Type:application/x-www-form-urlencoded; charset=utf8", "Host:example.amazonaws.com",
      "X-Amz-Date:" DATE},
     "Param1=value1",
     CRED "SignedHeaders=content-type;host;x-amz-date, "
          "Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
    {"post-sts-header-before",
     "POST",
     "/",
     NULL,
     {"Host:example.amazonaws.com", "X-Amz-Date:" DATE, "X-Amz-Security-Token:" STS_TOKEN},
     "",
     CRED "SignedHeaders=host;x-amz-date;x-amz-security-token, "
          "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
};

typedef struct built {
    rl_hdr_t hdrs[8];
    char hash[65];
    rl_sigv4_req_t req;
} built_t;

static void build(const vec_t *v, built_t *b, bool s3)
{
    size_t n = 0;
    for (; n < 8 && v->hdrs[n]; n++) {
        const char *colon = strchr(v->hdrs[n], ':');
        b->hdrs[n] = (rl_hdr_t){v->hdrs[n], (size_t)(colon - v->hdrs[n]), colon + 1, strlen(colon + 1)};
    }
    rl_sigv4_sha256_hex(v->body, strlen(v->body), b->hash);
    b->req = (rl_sigv4_req_t){.method = v->method,
                              .method_len = strlen(v->method),
                              .path = v->path,
                              .path_len = strlen(v->path),
                              .query = v->query,
                              .query_len = v->query ? strlen(v->query) : 0,
                              .headers = b->hdrs,
                              .n_headers = n,
                              .payload_hash = b->hash,
                              .s3 = s3};
}

static void test_suite_vectors(void **state)
{
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        built_t b;
        char *authz = NULL;
        build(&vectors[i], &b, false);
        assert_int_equal(rl_sigv4_sign(&b.req, &suite_key, DATE, &authz, NULL), 0);
        if (strcmp(authz, vectors[i].authz) != 0)
            fail_msg("%s:\n got %s\nwant %s", vectors[i].name, authz, vectors[i].authz);
        free(authz);
    }
}

static void test_canonical_request_and_sts(void **state)
{
    built_t b;
    char *creq = NULL, *authz = NULL, *sts = NULL;
    build(&vectors[8], &b, false); /* get-header-value-trim */
    assert_int_equal(rl_sigv4_canonical_request(&b.req, &creq), 0);
    assert_string_equal(
        creq, "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
              "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n" RL_SIGV4_EMPTY_SHA256);
    free(creq);
    build(&vectors[1], &b, false); /* get-vanilla-query-order-key-case */
    assert_int_equal(rl_sigv4_canonical_request(&b.req, &creq), 0);
    assert_string_equal(creq, "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\n"
                              "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" RL_SIGV4_EMPTY_SHA256);
    free(creq);
    assert_int_equal(rl_sigv4_sign(&b.req, &suite_key, DATE, &authz, &sts), 0);
    assert_string_equal(sts, "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                             "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0");
    free(authz);
    free(sts);
}

/* "/a%20b" as sent: S3 decodes and encodes once, other services encode the
 * sent path again (botocore's behaviour). */
static void test_path_encoding_s3_and_others(void **state)
{
    vec_t v = {"enc", "GET", "/a%20b/c+d", "x=a%2Fb+c&flag", {"Host:h"}, "", NULL};
    built_t b;
    char *creq = NULL;
    build(&v, &b, true);
    assert_int_equal(rl_sigv4_canonical_request(&b.req, &creq), 0);
    assert_string_equal(creq, "GET\n/a%20b/c%2Bd\nflag=&x=a%2Fb%2Bc\nhost:h\n\nhost\n" RL_SIGV4_EMPTY_SHA256);
    free(creq);
    build(&v, &b, false);
    assert_int_equal(rl_sigv4_canonical_request(&b.req, &creq), 0);
    assert_string_equal(creq,
                        "GET\n/a%2520b/c%2Bd\nflag=&x=a%2Fb%2Bc\nhost:h\n\nhost\n" RL_SIGV4_EMPTY_SHA256);
    free(creq);
    /* S3 keeps dot segments and double slashes */
    v.path = "/a/./b//c", v.query = NULL;
    build(&v, &b, true);
    assert_int_equal(rl_sigv4_canonical_request(&b.req, &creq), 0);
    assert_string_equal(creq, "GET\n/a/./b//c\n\nhost:h\n\nhost\n" RL_SIGV4_EMPTY_SHA256);
    free(creq);
}

/* The S3 API reference, "Example: GET Object" (examplebucket, Range
 * bytes=0-9, 20130524T000000Z). */
static void test_s3_get_object_example(void **state)
{
    static const rl_sigv4_key_t k = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                     "us-east-1", "s3"};
    vec_t v = {"s3",
               "GET",
               "/test.txt",
               NULL,
               {"Host:examplebucket.s3.amazonaws.com", "Range:bytes=0-9",
                "x-amz-content-sha256:" RL_SIGV4_EMPTY_SHA256, "x-amz-date:20130524T000000Z"},
               "",
               NULL};
    built_t b;
    char *authz = NULL;
    build(&v, &b, true);
    assert_int_equal(rl_sigv4_sign(&b.req, &k, "20130524T000000Z", &authz, NULL), 0);
    assert_string_equal(authz, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                               "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                               "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    free(authz);
}

static void test_amz_date_and_bad_input(void **state)
{
    char d[17];
    rl_sigv4_amz_date(1440938160000ull, d); /* 2015-08-30T12:36:00Z */
    assert_string_equal(d, DATE);
    rl_sigv4_amz_date(0, d);
    assert_string_equal(d, "19700101T000000Z");
    built_t b;
    char *authz = NULL;
    build(&vectors[0], &b, false);
    assert_int_equal(rl_sigv4_sign(&b.req, &suite_key, "2015-08-30", &authz, NULL), -1);
    assert_null(authz);
    rl_hdr_t many[65];
    for (size_t i = 0; i < 65; i++)
        many[i] = (rl_hdr_t){"x-a", 3, "v", 1};
    b.req.headers = many, b.req.n_headers = 65;
    assert_int_equal(rl_sigv4_sign(&b.req, &suite_key, DATE, &authz, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite_vectors),
        cmocka_unit_test(test_canonical_request_and_sts),
        cmocka_unit_test(test_path_encoding_s3_and_others),
        cmocka_unit_test(test_s3_get_object_example),
        cmocka_unit_test(test_amz_date_and_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
