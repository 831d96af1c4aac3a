/* sha256_test.c -- the guest's SHA-256 (../../main/c/sha256.c) against FIPS 180-4 vectors
 * and, with a file argument, against sha256sum-style output for that file.
 *   make -C src/test/c test */
#include <stdio.h>
#include <string.h>
#include "../../main/c/sha256.h"

static void hex(const uint8_t *d, char *out)
{
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static int check(const char *name, const void *msg, size_t len, size_t step, const char *want)
{
    struct sha256 s;
    uint8_t d[32];
    char got[65];
    sha256_init(&s);
    for (size_t o = 0; o < len; o += step)
        sha256_update(&s, (const char *)msg + o, len - o < step ? len - o : step);
    sha256_final(&s, d);
    hex(d, got);
    int ok = !strcmp(got, want);
    printf("%s %s (step %zu): %s\n", ok ? "ok  " : "FAIL", name, step, got);
    return ok;
}

int main(int argc, char **argv)
{
    static char million[1000000];
    memset(million, 'a', sizeof million);
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    int ok = 1;
    size_t steps[] = { 1, 3, 63, 64, 65, 1000000 };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        ok &= check("\"\"", "", 0, steps[i], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        ok &= check("abc", "abc", 3, steps[i], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        ok &= check("448-bit", m448, strlen(m448), steps[i],
                    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        ok &= check("a x 1e6", million, sizeof million, steps[i],
                    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }
    if (argc > 1) {
        FILE *f = fopen(argv[1], "rb");
        if (!f)
            return perror(argv[1]), 2;
        struct sha256 s;
        static uint8_t buf[65536];
        uint8_t d[32];
        char got[65];
        size_t n;
        sha256_init(&s);
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            sha256_update(&s, buf, n);
        fclose(f);
        sha256_final(&s, d);
        hex(d, got);
        printf("%s  %s\n", got, argv[1]);
    }
    return ok ? 0 : 1;
}
