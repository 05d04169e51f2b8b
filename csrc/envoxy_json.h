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
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "envoxy_float.h"

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

/* -- Decimals, read in place --------------------------------------------
 * str(Decimal) costs ~50 ns (a context lookup, a malloc'd string, a str
 * object); a page of NUMERIC columns has many. CPython's _decimal keeps a
 * libmpdec mpd_t right after the object head and the hash: flags, exponent,
 * digit count, word count, allocated words, then a pointer to base-10**19
 * words. That layout is private, so it is only read once the probe at import
 * (envoxy_decimal_probe, called with known Decimals) found every field where
 * it must be; otherwise -- another layout, the pure-Python decimal --
 * Decimals go through str(). */

typedef struct {
    uint8_t flags;
    Py_ssize_t exp;
    Py_ssize_t digits;
    Py_ssize_t len;
    Py_ssize_t alloc;
    uint64_t *data;
} envoxy_mpd;

#define ENVOXY_MPD_NEG 1
#define ENVOXY_MPD_SPECIAL 14 /* infinity, NaN, sNaN */
#define ENVOXY_MPD_OFFSET (sizeof(PyObject) + sizeof(Py_hash_t))

static int envoxy_decimal_in_place = 0;

static inline const envoxy_mpd *envoxy_mpd_of(PyObject *d) {
    return (const envoxy_mpd *)((const char *)d + ENVOXY_MPD_OFFSET);
}

/* Whether d (an instance of a type of ``basicsize`` bytes) holds the fields
 * given; words are only read when they are the object's own inline ones. */
static inline int envoxy_decimal_probe(PyObject *d, Py_ssize_t basicsize, int negative,
                                       Py_ssize_t exp, Py_ssize_t digits, uint64_t word) {
    if (basicsize < (Py_ssize_t)(ENVOXY_MPD_OFFSET + sizeof(envoxy_mpd) + sizeof(uint64_t))) {
        return 0;
    }
    const envoxy_mpd *m = envoxy_mpd_of(d);
    const uint64_t *inline_words =
        (const uint64_t *)((const char *)d + ENVOXY_MPD_OFFSET + sizeof(envoxy_mpd));
    return (m->flags & (ENVOXY_MPD_NEG | ENVOXY_MPD_SPECIAL)) == (negative ? ENVOXY_MPD_NEG : 0) &&
           m->exp == exp && m->digits == digits && m->len == 1 && m->alloc >= 1 &&
           m->data == inline_words && m->data[0] == word;
}

static inline void envoxy_decimal_enable(int on) {
    envoxy_decimal_in_place = on;
}

/* A Decimal of at most 15 significant digits in the normal double range, as
 * the float it converts to is written: 0 written, 1 not taken (str() path). */
static inline int envoxy_put_decimal_fields(char *dst, Py_ssize_t *written, PyObject *d, int plus) {
    if (!envoxy_decimal_in_place || plus < 0) {
        return 1;
    }
    const envoxy_mpd *m = envoxy_mpd_of(d);
    if ((m->flags & ENVOXY_MPD_SPECIAL) || m->len != 1) {
        return 1;
    }
    uint64_t c = m->data[0];
    Py_ssize_t e = m->exp;
    int pos = 0;
    if (m->flags & ENVOXY_MPD_NEG) {
        dst[pos++] = '-';
    }
    if (c == 0) {
        memcpy(dst + pos, "0.0", 3);
        *written = pos + 3;
        return 0;
    }
    e += envoxy_strip_zeros(&c);
    if (c >= 1000000000000000ULL) {
        return 1; /* 16+ digits: the float's rounding decides */
    }
    int n = 1;
    for (uint64_t t = c; t >= 10; t /= 10) {
        n++;
    }
    if (e + n > 308 || e + n < -290) {
        return 1; /* near overflow or subnormal: let float() decide */
    }
    *written = pos + envoxy_lay_out(dst + pos, c, (int)e, plus);
    return 0;
}

/* -- the walk ---------------------------------------------------------------
 * Containers and JSON-native leaves are written here; anything else goes to
 * ``other`` (the Cython side: datetimes, dates, Decimals, UUIDs). Every
 * writer returns 0 (written), 1 (not taken: the caller's orjson path writes
 * the document) or -1 (a Python error is set: not taken either). Python code
 * can run inside ``other`` (a tzinfo's utcoffset()) and change the very
 * containers being walked, so a non-leaf item is held while written and a
 * list's length is read again for every item. */

typedef struct {
    char *buf;
    Py_ssize_t size;
    Py_ssize_t cap;
} envoxy_out;

static int envoxy_out_grow(envoxy_out *o, Py_ssize_t extra) {
    Py_ssize_t cap = o->cap ? o->cap * 2 : 4096;
    while (cap < o->size + extra) {
        cap *= 2;
    }
    char *grown = (char *)PyMem_Realloc(o->buf, (size_t)cap);
    if (!grown) {
        PyErr_NoMemory();
        return -1;
    }
    o->buf = grown;
    o->cap = cap;
    return 0;
}

/* Room for ``extra`` more bytes at buf + size. */
static inline int envoxy_out_reserve(envoxy_out *o, Py_ssize_t extra) {
    return o->size + extra > o->cap ? envoxy_out_grow(o, extra) : 0;
}

static inline int envoxy_put_raw(envoxy_out *o, const char *s, Py_ssize_t n) {
    if (envoxy_out_reserve(o, n)) {
        return -1;
    }
    memcpy(o->buf + o->size, s, (size_t)n);
    o->size += n;
    return 0;
}

static inline int envoxy_put_byte(envoxy_out *o, char c) {
    if (envoxy_out_reserve(o, 1)) {
        return -1;
    }
    o->buf[o->size++] = c;
    return 0;
}

static inline int envoxy_put_str(envoxy_out *o, PyObject *text) {
    Py_ssize_t n;
    const char *raw = envoxy_utf8(text, &n);
    if (!raw || envoxy_out_reserve(o, n * 6 + 10)) {
        return -1;
    }
    char *dst = o->buf + o->size;
    dst[0] = '"';
    Py_ssize_t k = envoxy_escape_into(raw, n, dst + 1);
    dst[k + 1] = '"';
    o->size += k + 2;
    return 0;
}

/* An int: 64-bit values ([-2**63, 2**64 - 1]) as numbers, others as strings. */
static int envoxy_put_int(envoxy_out *o, PyObject *v) {
    int overflow = 0;
    long long small = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow == 0) {
        if (small == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (envoxy_out_reserve(o, 21)) {
            return -1;
        }
        char *dst = o->buf + o->size;
        if (small < 0) {
            *dst = '-';
            o->size += 1 + envoxy_write_u64((uint64_t)(-(small + 1)) + 1, dst + 1);
        } else {
            o->size += envoxy_write_u64((uint64_t)small, dst);
        }
        return 0;
    }
    if (overflow > 0) {
        unsigned long long big = PyLong_AsUnsignedLongLong(v);
        if (!(big == (unsigned long long)-1 && PyErr_Occurred())) {
            if (envoxy_out_reserve(o, 21)) {
                return -1;
            }
            o->size += envoxy_write_u64(big, o->buf + o->size);
            return 0;
        }
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) {
            return -1;
        }
        PyErr_Clear();
    }
    PyObject *text = PyObject_Str(v);
    if (!text) {
        return -1;
    }
    int rc = envoxy_put_str(o, text);
    Py_DECREF(text);
    return rc;
}

/* ``plus``: 1 writes 1e+16, 0 writes 1e16, -1: floats are not taken. */
static inline int envoxy_put_float(envoxy_out *o, double v, int plus) {
    if (!isfinite(v)) {
        return envoxy_put_raw(o, "null", 4);
    }
    if (plus < 0) {
        return 1;
    }
    if (envoxy_out_reserve(o, ENVOXY_FLOAT_MAX)) {
        return -1;
    }
    o->size += envoxy_write_double(v, o->buf + o->size, plus);
    return 0;
}

typedef int (*envoxy_other_fn)(void *ctx, PyObject *obj);

typedef struct {
    envoxy_out *out;
    envoxy_other_fn other;
    void *ctx;
    int float_plus;
    int max_depth; /* nested containers taken: orjson takes 254 */
} envoxy_walk;

#define ENVOXY_NOT_A_LEAF 2

static inline int envoxy_put_leaf(envoxy_walk *w, PyObject *obj) {
    PyTypeObject *t = Py_TYPE(obj);
    if (t == &PyUnicode_Type) {
        return envoxy_put_str(w->out, obj);
    }
    if (obj == Py_None) {
        return envoxy_put_raw(w->out, "null", 4);
    }
    if (obj == Py_True) {
        return envoxy_put_raw(w->out, "true", 4);
    }
    if (obj == Py_False) {
        return envoxy_put_raw(w->out, "false", 5);
    }
    if (t == &PyLong_Type) {
        return envoxy_put_int(w->out, obj);
    }
    if (t == &PyFloat_Type) {
        return envoxy_put_float(w->out, PyFloat_AS_DOUBLE(obj), w->float_plus);
    }
    return ENVOXY_NOT_A_LEAF;
}

static int envoxy_put_nonleaf(envoxy_walk *w, PyObject *obj, int depth);

static inline int envoxy_put_item(envoxy_walk *w, PyObject *item, int depth) {
    int rc = envoxy_put_leaf(w, item);
    if (rc != ENVOXY_NOT_A_LEAF) {
        return rc;
    }
    Py_INCREF(item);
    rc = envoxy_put_nonleaf(w, item, depth);
    Py_DECREF(item);
    return rc;
}

/* A container, or what ``other`` writes. */
static int envoxy_put_nonleaf(envoxy_walk *w, PyObject *obj, int depth) {
    PyTypeObject *t = Py_TYPE(obj);
    envoxy_out *o = w->out;
    int rc;
    if ((t == &PyDict_Type || t == &PyList_Type || t == &PyTuple_Type) &&
        depth >= w->max_depth) {
        return 1; /* orjson's limit: its path raises "Recursion limit reached" */
    }
    if (t == &PyDict_Type) {
        if (envoxy_put_byte(o, '{')) {
            return -1;
        }
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        int first = 1;
        while (PyDict_Next(obj, &pos, &key, &value)) {
            if (Py_TYPE(key) != &PyUnicode_Type) {
                return 1;
            }
            if (!first && envoxy_put_byte(o, ',')) {
                return -1;
            }
            first = 0;
            if (envoxy_put_str(o, key) || envoxy_put_byte(o, ':')) {
                return -1;
            }
            if ((rc = envoxy_put_item(w, value, depth + 1))) {
                return rc;
            }
        }
        return envoxy_put_byte(o, '}');
    }
    if (t == &PyList_Type || t == &PyTuple_Type) {
        if (envoxy_put_byte(o, '[')) {
            return -1;
        }
        for (Py_ssize_t i = 0; i < Py_SIZE(obj); i++) {
            if (i && envoxy_put_byte(o, ',')) {
                return -1;
            }
            PyObject *item =
                t == &PyList_Type ? PyList_GET_ITEM(obj, i) : PyTuple_GET_ITEM(obj, i);
            if ((rc = envoxy_put_item(w, item, depth + 1))) {
                return rc;
            }
        }
        return envoxy_put_byte(o, ']');
    }
    return w->other(w->ctx, obj);
}

/* -- what the Cython side calls ------------------------------------------ */

/* Where n more bytes go (NULL with MemoryError set), and that they went. */
static inline char *envoxy_room(void *out, Py_ssize_t n) {
    envoxy_out *o = (envoxy_out *)out;
    return envoxy_out_reserve(o, n) ? NULL : o->buf + o->size;
}

static inline void envoxy_wrote(void *out, Py_ssize_t n) {
    ((envoxy_out *)out)->size += n;
}

static inline const char *envoxy_out_data(void *out) {
    return ((envoxy_out *)out)->buf;
}

static inline Py_ssize_t envoxy_out_size(void *out) {
    return ((envoxy_out *)out)->size;
}

/* One buffer is kept from pass to pass (up to 1 MiB): a page of records then
 * costs no malloc and no regrowth. A pass that starts while it is taken (a
 * tzinfo's Python code encoding something) gets a buffer of its own. */
#define ENVOXY_SPARE_LIMIT (1 << 20)
static envoxy_out envoxy_spare;
static int envoxy_spare_taken = 0;

static inline void *envoxy_out_take(void) {
    if (!envoxy_spare_taken) {
        envoxy_spare_taken = 1;
        envoxy_spare.size = 0;
        return &envoxy_spare;
    }
    envoxy_out *o = (envoxy_out *)PyMem_Calloc(1, sizeof *o);
    if (!o) {
        PyErr_NoMemory();
    }
    return o;
}

static inline void envoxy_out_give_back(void *out) {
    envoxy_out *o = (envoxy_out *)out;
    if (o == &envoxy_spare) {
        if (o->cap > ENVOXY_SPARE_LIMIT) {
            PyMem_Free(o->buf);
            o->buf = NULL;
            o->cap = 0;
        }
        envoxy_spare_taken = 0;
        return;
    }
    PyMem_Free(o->buf);
    PyMem_Free(o);
}

/* The document at out: 0 written, else not taken (an error may be set). */
static inline int envoxy_walk_value(void *out, PyObject *obj, int float_plus,
                                    int max_depth, envoxy_other_fn other) {
    envoxy_walk w = {(envoxy_out *)out, other, out, float_plus, max_depth};
    int rc = envoxy_put_leaf(&w, obj);
    return rc != ENVOXY_NOT_A_LEAF ? rc : envoxy_put_nonleaf(&w, obj, 0);
}

#endif
