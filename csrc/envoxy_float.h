/* Shortest round-trip text of a double, laid out as orjson lays it out.
 *
 * Why: Python's repr goes through David Gay's dtoa, ~450 ns for a 17-digit
 * double; the encoder's single pass writes every float of a document, so it
 * needs the digits at orjson's speed. The digits are those of Schubfach
 * (R. Giulietti, "The Schubfach way to render doubles", 2020): the shortest
 * decimal in the rounding interval, the closest to the double among those,
 * ties to an even digit, which is what repr() prints. The layout is the one
 * orjson writes: 1e-5 <= |x| < 1e16 in positional notation with at least one
 * fractional digit, else d.ddde-N / d.ddde[+]N (the '+' depends on orjson's
 * version, hence ``plus``). tests/speedups/test_float_writer.py holds both to
 * repr() and to the installed orjson.
 */
#ifndef ENVOXY_FLOAT_H
#define ENVOXY_FLOAT_H

#include <stdint.h>
#include <string.h>

#include "envoxy_pow10.h"

/* Room a caller gives envoxy_write_double: sign, 17 digits, '.', "e-324". */
#define ENVOXY_FLOAT_MAX 32

static const char envoxy_two_digits[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* The decimal digits of v at dst (up to 20 bytes); returns how many. */
static inline int envoxy_write_u64(uint64_t v, char *dst) {
    char tmp[20];
    int k = 20;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        k -= 2;
        memcpy(tmp + k, envoxy_two_digits + 2 * r, 2);
    }
    if (v >= 10) {
        k -= 2;
        memcpy(tmp + k, envoxy_two_digits + 2 * v, 2);
    } else {
        tmp[--k] = (char)('0' + v);
    }
    memcpy(dst, tmp + k, 20 - k);
    return 20 - k;
}

static inline int envoxy_flog10pow2(int q) {
    return (int)(((int64_t)q * 661971961083LL) >> 41);
}

static inline int envoxy_flog10_three_quarters_pow2(int q) {
    return (int)(((int64_t)q * 661971961083LL - 274743187321LL) >> 41);
}

static inline int envoxy_flog2pow10(int e) {
    return (int)(((int64_t)e * 913124641741LL) >> 38);
}

/* g * cp / 2**127, rounded to odd (g = g1 * 2**63 + g0). */
static inline uint64_t envoxy_rop(uint64_t g1, uint64_t g0, uint64_t cp) {
    __uint128_t x = (__uint128_t)g0 * cp;
    __uint128_t y = (__uint128_t)g1 * cp;
    uint64_t x1 = (uint64_t)(x >> 64);
    uint64_t y0 = (uint64_t)y;
    uint64_t y1 = (uint64_t)(y >> 64);
    uint64_t z = (y0 >> 1) + x1;
    uint64_t vbp = y1 + (z >> 63);
    const uint64_t mask63 = 0x7fffffffffffffffULL;
    return vbp | (((z & mask63) + mask63) >> 63);
}

/* The shortest decimal f * 10**e of c * 2**q (c > 0). */
static inline void envoxy_to_decimal(int q, uint64_t c, uint64_t *f, int *e) {
    const uint64_t c_min = 1ULL << 52;
    uint64_t out = c & 1;
    uint64_t cb = c << 2;
    uint64_t cbr = cb + 2;
    uint64_t cbl;
    int k;
    if (c != c_min || q == -1074) {
        cbl = cb - 2;
        k = envoxy_flog10pow2(q);
    } else {
        cbl = cb - 1;
        k = envoxy_flog10_three_quarters_pow2(q);
    }
    int h = q + envoxy_flog2pow10(-k) + 2;
    const uint64_t *g = envoxy_pow10_g[k - ENVOXY_POW10_K_MIN];
    uint64_t vb = envoxy_rop(g[0], g[1], cb << h);
    uint64_t vbl = envoxy_rop(g[0], g[1], cbl << h);
    uint64_t vbr = envoxy_rop(g[0], g[1], cbr << h);
    uint64_t s = vb >> 2;
    if (s >= 10) { /* one digit fewer (s < 100 only for small subnormals) */
        uint64_t sp10 = (s / 10) * 10;
        uint64_t tp10 = sp10 + 10;
        int upin = vbl + out <= sp10 << 2;
        int wpin = (tp10 << 2) + out <= vbr;
        if (upin != wpin) {
            *f = upin ? sp10 : tp10;
            *e = k;
            return;
        }
    }
    uint64_t t = s + 1;
    int uin = vbl + out <= s << 2;
    int win = (t << 2) + out <= vbr;
    *e = k;
    if (uin != win) {
        *f = uin ? s : t;
        return;
    }
    int64_t cmp = (int64_t)(vb - ((s + t) << 1));
    *f = (cmp < 0 || (cmp == 0 && (s & 1) == 0)) ? s : t;
}

/* Take the trailing zeros off f > 0, widest steps first; returns how many. */
static inline int envoxy_strip_zeros(uint64_t *f) {
    int zeros = 0;
    while (*f % 100000000 == 0) {
        *f /= 100000000;
        zeros += 8;
    }
    if (*f % 10000 == 0) {
        *f /= 10000;
        zeros += 4;
    }
    if (*f % 100 == 0) {
        *f /= 100;
        zeros += 2;
    }
    if (*f % 10 == 0) {
        *f /= 10;
        zeros += 1;
    }
    return zeros;
}

/* Digits of a finite, non-zero |v|: f * 10**e with no trailing zero in f. */
static inline void envoxy_shortest(uint64_t bits, uint64_t *f, int *e) {
    uint64_t t = bits & ((1ULL << 52) - 1);
    int bq = (int)((bits >> 52) & 0x7ff);
    if (bq != 0) {
        int mq = 1075 - bq;
        uint64_t c = (1ULL << 52) | t;
        if (0 < mq && mq < 53 && ((c >> mq) << mq) == c) {
            /* an integer below 2**53: its own digits are the shortest */
            *f = c >> mq;
            *e = 0;
        } else {
            envoxy_to_decimal(-mq, c, f, e);
        }
    } else {
        envoxy_to_decimal(-1074, t, f, e);
    }
    *e += envoxy_strip_zeros(f);
}

/* The decimal f * 10**k (f > 0, no trailing zero, at most 17 digits) at dst
 * in orjson's layout; returns the length. Also what a Decimal of up to 15
 * significant digits is written as: the float it converts to has those very
 * digits as its shortest form. */
static inline int envoxy_lay_out(char *dst, uint64_t f, int k, int plus) {
    int pos = 0;
    char digits[20];
    int n = envoxy_write_u64(f, digits);
    int kk = n + k; /* where the decimal point goes, counted from the first digit */
    if (k >= 0 && kk <= 16) { /* 1234e7 -> 12340000000.0 */
        memcpy(dst + pos, digits, n);
        memset(dst + pos + n, '0', k);
        pos += kk;
        dst[pos++] = '.';
        dst[pos++] = '0';
    } else if (kk > 0 && kk <= 16) { /* 1234e-2 -> 12.34 */
        memcpy(dst + pos, digits, kk);
        dst[pos + kk] = '.';
        memcpy(dst + pos + kk + 1, digits + kk, n - kk);
        pos += n + 1;
    } else if (kk > -5 && kk <= 0) { /* 1234e-6 -> 0.001234 */
        dst[pos++] = '0';
        dst[pos++] = '.';
        memset(dst + pos, '0', -kk);
        pos += -kk;
        memcpy(dst + pos, digits, n);
        pos += n;
    } else { /* 1234e30 -> 1.234e33 */
        dst[pos++] = digits[0];
        if (n > 1) {
            dst[pos++] = '.';
            memcpy(dst + pos, digits + 1, n - 1);
            pos += n - 1;
        }
        dst[pos++] = 'e';
        int x = kk - 1;
        if (x < 0) {
            dst[pos++] = '-';
            x = -x;
        } else if (plus) {
            dst[pos++] = '+';
        }
        if (x >= 100) {
            dst[pos++] = (char)('0' + x / 100);
        }
        if (x >= 10) {
            dst[pos++] = (char)('0' + x / 10 % 10);
        }
        dst[pos++] = (char)('0' + x % 10);
    }
    return pos;
}

/* Write a finite v at dst (ENVOXY_FLOAT_MAX bytes of room); return the
 * length. ``plus``: write a '+' in a positive exponent (``1e+16``). */
static inline int envoxy_write_double(double v, char *dst, int plus) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int pos = 0;
    if (bits >> 63) {
        dst[pos++] = '-';
        bits &= ~(1ULL << 63);
    }
    if (bits == 0) {
        memcpy(dst + pos, "0.0", 3);
        return pos + 3;
    }
    uint64_t f;
    int k;
    envoxy_shortest(bits, &f, &k);
    return pos + envoxy_lay_out(dst + pos, f, k, plus);
}

#endif
