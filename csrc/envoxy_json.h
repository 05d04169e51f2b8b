/* Byte writers of the encoder's single pass (src/envoxy/utils/_encoder_py.py).
 *
 * Why C: these run once per string, UUID and datetime of every document; a
 * table-driven scan with memcpy of clean runs, and a UUID read as 16 bytes
 * instead of through Python int arithmetic, are what keep the single pass
 * near orjson's own speed.
 */
#ifndef ENVOXY_JSON_H
#define ENVOXY_JSON_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

/* The UTF-8 bytes of a str: its own data when it is ASCII (no call), else
 * the UTF-8 copy CPython caches on it; NULL with an error for a surrogate. */
static inline const char *envoxy_utf8(PyObject *text, Py_ssize_t *n) {
    if (PyUnicode_IS_COMPACT_ASCII(text)) {
        *n = PyUnicode_GET_LENGTH(text);
        return (const char *)PyUnicode_DATA(text);
    }
    return PyUnicode_AsUTF8AndSize(text, n);
}

/* 0: copied as is; 'u': written as \u00XX; else the letter after '\'. */
static const char envoxy_escape[256] = {
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
    0, 0, '"', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,
};

static const char envoxy_hex[] = "0123456789abcdef";

/* Whether any byte of w is below 0x20, '"' or '\\' (SWAR: exact for "any";
 * which byte is found again bytewise). */
static inline int envoxy_word_needs_escape(uint64_t w) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t quote = w ^ (ones * '"'), slash = w ^ (ones * '\\');
    uint64_t found = ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
                     ((slash - ones) & ~slash);
    return (found & highs) != 0;
}

/* One byte at dst, escaped if it must be; returns the bytes written (1-6). */
static inline int envoxy_escape_byte(unsigned char c, char *dst) {
    char kind = envoxy_escape[c];
    if (!kind) {
        dst[0] = (char)c;
        return 1;
    }
    dst[0] = '\\';
    if (kind != 'u') {
        dst[1] = kind;
        return 2;
    }
    memcpy(dst + 1, "u00", 3);
    dst[4] = envoxy_hex[c >> 4];
    dst[5] = envoxy_hex[c & 15];
    return 6;
}

/* The JSON string body of n UTF-8 bytes (quote, backslash and control
 * characters escaped as orjson escapes them) at dst, which has 6 * n + 8
 * bytes of room; returns the bytes written. Clean 8-byte words are copied
 * whole. */
static inline Py_ssize_t envoxy_escape_into(const char *src, Py_ssize_t n, char *dst) {
    const unsigned char *s = (const unsigned char *)src;
    Py_ssize_t i = 0, k = 0;
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, src + i, 8);
        if (envoxy_word_needs_escape(w)) {
            for (Py_ssize_t end = i + 8; i < end; i++) {
                k += envoxy_escape_byte(s[i], dst + k);
            }
        } else {
            memcpy(dst + k, &w, 8);
            i += 8;
            k += 8;
        }
    }
    for (; i < n; i++) {
        k += envoxy_escape_byte(s[i], dst + k);
    }
    return k;
}

/* The 36 characters of a UUID whose 128-bit int is ``number`` at dst;
 * -1 with a Python error set if it is not a non-negative int below 2**128. */
static inline int envoxy_uuid_into(PyObject *number, char *dst) {
    unsigned char raw[16];
#if PY_VERSION_HEX >= 0x030D0000
    Py_ssize_t got = PyLong_AsNativeBytes(
        number, raw, 16,
        Py_ASNATIVEBYTES_BIG_ENDIAN | Py_ASNATIVEBYTES_UNSIGNED_BUFFER |
            Py_ASNATIVEBYTES_REJECT_NEGATIVE);
    if (got < 0) {
        return -1;
    }
    if (got > 16) {
        PyErr_SetString(PyExc_OverflowError, "UUID int out of range");
        return -1;
    }
#else
    if (!PyLong_Check(number)) {
        PyErr_SetString(PyExc_TypeError, "UUID int is not an int");
        return -1;
    }
    if (_PyLong_AsByteArray((PyLongObject *)number, raw, 16, 0, 0) < 0) {
        return -1;
    }
#endif
    int k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            dst[k++] = '-';
        }
        dst[k++] = envoxy_hex[raw[i] >> 4];
        dst[k++] = envoxy_hex[raw[i] & 15];
    }
    return 0;
}

/* Days since 0001-01-01 of a proleptic Gregorian date, and back: the shift
 * of an aware datetime to UTC without building a new datetime object. */
static inline int64_t envoxy_days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe; /* days since 0000-03-01 */
}

static inline void envoxy_civil_from_days(int64_t z, int *y, int *m, int *d) {
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

#endif
