/* The byte loop of the lossless JPEG path: finding where an entropy-coded scan ends
 * (scan_end); and room(), a buffer that is not zeroed, for a file about to be read into it.
 *
 * A scan's coded bytes may hold 0xFF only as 0xFF00 (stuffing), 0xFFD0-0xFFD7 (restart
 * markers) or runs of 0xFF (fill before a marker). The first 0xFF followed by anything
 * else begins the next marker. This is the same search as the regular expression in
 * jpeg.py (which stays as the fallback and the reference the tests compare this with).
 *
 * A phone photo's scans hold about one 0xFF00 per 200 bytes, so a memchr loop stops
 * thousands of times a photo. Where the CPU has AVX2 (checked when the module loads),
 * 32 bytes at a time are compared with 0xFF and the 32 after them with 0x00, and only a
 * 0xFF followed by something else stops the loop: about 2.5 times memchr's speed on
 * these photos. Elsewhere the memchr loop runs; both are tested against the regex.
 *
 * It reads only inside the buffer Python lends it and parses nothing: every structural
 * decision stays in Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

static int ends_scan(unsigned char next)
{
    return next != 0x00 && next != 0xFF && (next < 0xD0 || next > 0xD7);
}

typedef Py_ssize_t (*search_fn)(const unsigned char *, Py_ssize_t, Py_ssize_t);

/* First i >= start with buf[i] == 0xFF and buf[i + 1] ending the scan, or -1. */
static Py_ssize_t find_scan_end(const unsigned char *buf, Py_ssize_t len, Py_ssize_t start)
{
    const unsigned char *p, *last;

    if (len - start < 2)  /* no room for 0xFF and the byte after it (and an empty buffer */
        return -1;        /* may lend a NULL pointer: no arithmetic on it) */
    p = buf + start;
    last = buf + len - 1;  /* the last byte that can follow a 0xFF */
    while (p < last) {
        p = memchr(p, 0xFF, (size_t)(last - p));
        if (p == NULL)
            return -1;
        if (ends_scan(p[1]))
            return p - buf;
        p++;
    }
    return -1;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/* The same answer as find_scan_end, 32 bytes a step: a step at i reads buf[i .. i + 32],
 * so it runs while i + 33 <= len, and find_scan_end finishes the last few bytes. */
__attribute__((target("avx2")))
static Py_ssize_t find_scan_end_avx2(const unsigned char *buf, Py_ssize_t len,
                                     Py_ssize_t start)
{
    const __m256i ff = _mm256_set1_epi8((char)0xFF);
    const __m256i zero = _mm256_setzero_si256();
    Py_ssize_t i = start;

    if (len - start < 2)
        return -1;
    for (; len - i >= 33; i += 32) {
        __m256i here = _mm256_loadu_si256((const __m256i *)(buf + i));
        __m256i next = _mm256_loadu_si256((const __m256i *)(buf + i + 1));
        unsigned int ffs = (unsigned int)_mm256_movemask_epi8(_mm256_cmpeq_epi8(here, ff));
        unsigned int zeros = (unsigned int)_mm256_movemask_epi8(_mm256_cmpeq_epi8(next, zero));
        unsigned int found = ffs & ~zeros;  /* a 0xFF not followed by stuffing */

        while (found) {
            Py_ssize_t at = i + __builtin_ctz(found);

            if (ends_scan(buf[at + 1]))  /* at + 1 <= i + 32 < len */
                return at;
            found &= found - 1;  /* a restart marker or fill: on to the next */
        }
    }
    return find_scan_end(buf, len, i);
}

static search_fn choose_search(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? find_scan_end_avx2 : find_scan_end;
}
#else
static search_fn choose_search(void)
{
    return find_scan_end;
}
#endif

static search_fn search = find_scan_end;  /* set when the module loads */

/* scan_end(data, start) with the given search. */
static PyObject *search_with(search_fn find, PyObject *args)
{
    Py_buffer view;
    Py_ssize_t start, found;

    if (!PyArg_ParseTuple(args, "y*n:scan_end", &view, &start))
        return NULL;
    if (start < 0 || start > view.len) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "start is outside the data");
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    found = find(view.buf, view.len, start);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(found);
}

static PyObject *scan_end(PyObject *module, PyObject *args)
{
    return search_with(search, args);
}

static PyObject *scan_end_memchr(PyObject *module, PyObject *args)
{
    return search_with(find_scan_end, args);
}

static PyObject *room(PyObject *module, PyObject *arg)
{
    Py_ssize_t size = PyLong_AsSsize_t(arg);

    if (size == -1 && PyErr_Occurred())
        return NULL;
    if (size < 0) {
        PyErr_SetString(PyExc_ValueError, "negative size");
        return NULL;
    }
    return PyByteArray_FromStringAndSize(NULL, size);  /* not zeroed: see the docstring */
}

static PyMethodDef methods[] = {
    {"scan_end", scan_end, METH_VARARGS,
     "scan_end(data, start) -> offset of the marker that ends the scan at start, or -1."},
    {"scan_end_memchr", scan_end_memchr, METH_VARARGS,
     "scan_end with the memchr loop, which scan_end uses where the CPU has no AVX2 "
     "(so the tests can hold both to the reference)."},
    {"room", room, METH_O,
     "room(size) -> a bytearray of size bytes that are NOT zeroed (zeroing costs a twentieth "
     "of a photo's cleaning): for a caller that keeps only the bytes it reads into it."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan", "The byte loop of the lossless JPEG path.", -1, methods,
};

PyMODINIT_FUNC PyInit__scan(void)
{
    PyObject *m = PyModule_Create(&module);

    if (m == NULL)
        return NULL;
    search = choose_search();
    if (PyModule_AddStringConstant(m, "SEARCH",
                                   search == find_scan_end ? "memchr" : "avx2") < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
