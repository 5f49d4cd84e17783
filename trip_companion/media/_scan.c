/* The byte loops of the lossless JPEG path: finding where an entropy-coded scan ends,
 * in the file (scan_end), or in the clean copy as the scan is copied into it (copy_scan).
 *
 * A scan's coded bytes may hold 0xFF only as 0xFF00 (stuffing), 0xFFD0-0xFFD7 (restart
 * markers) or runs of 0xFF (fill before a marker). The first 0xFF followed by anything
 * else begins the next marker. This is the same search as the regular expression in
 * jpeg.py (which stays as the fallback and the reference the tests compare this with);
 * memchr skips the megabytes between 0xFF bytes far faster than the regex engine.
 *
 * It reads only inside the buffers Python lends it, writes only inside the one it is
 * lent for that, and parses nothing: every structural decision stays in Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define COPY_CHUNK (64 * 1024)  /* copied, then searched while still in the cache */

static int ends_scan(unsigned char next)
{
    return next != 0x00 && next != 0xFF && (next < 0xD0 || next > 0xD7);
}

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

static PyObject *scan_end(PyObject *module, PyObject *args)
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
    found = find_scan_end(view.buf, view.len, start);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(found);
}

/* Copy up to ``len`` bytes to ``dst`` a cache-sized chunk at a time, searching what was
 * just copied, until the chunk that holds the scan's end. Returns that end's offset, or
 * -1 (everything copied, no end). Searching the copy, not the source, means the file is
 * read once, and what was checked is what is kept even if the source changes meanwhile. */
static Py_ssize_t copy_checked(unsigned char *dst, const unsigned char *src, Py_ssize_t len)
{
    Py_ssize_t done = 0, searched = 0, step, found;

    while (done < len) {
        step = len - done < COPY_CHUNK ? len - done : COPY_CHUNK;
        memcpy(dst + done, src + done, (size_t)step);  /* never overlapping: see copy_scan */
        done += step;
        if (done - searched >= 2) {
            found = find_scan_end(dst, done, searched);
            if (found >= 0)
                return found;
            searched = done - 1;  /* its follower may come with the next chunk */
        }
    }
    return -1;
}

static PyObject *copy_scan(PyObject *module, PyObject *args)
{
    Py_buffer src, dst;
    Py_ssize_t start, at, found = -1;

    if (!PyArg_ParseTuple(args, "y*nw*n:copy_scan", &src, &start, &dst, &at))
        return NULL;  /* "w*" holds dst's buffer: a bytearray can't be resized meanwhile */
    if (start < 0 || start > src.len || at < 0 || at > dst.len
            || dst.len - at < src.len - start) {
        PyBuffer_Release(&src);
        PyBuffer_Release(&dst);
        PyErr_SetString(PyExc_ValueError, "start or at is outside the data, or no room");
        return NULL;
    }
    if (src.len > start) {  /* an empty buffer may lend a NULL pointer: no arithmetic on it */
        const char *from = (const char *)src.buf + start, *to = (const char *)dst.buf + at;
        Py_ssize_t len = src.len - start;
        /* Two views of one buffer could overlap: the chunks copied first would change what
         * later ones copy, and the search would judge bytes the source never held
         * (found by fuzzing). Nothing of ours does that; refuse it. */
        if (to < from + len && from < to + len) {
            PyBuffer_Release(&src);
            PyBuffer_Release(&dst);
            PyErr_SetString(PyExc_ValueError, "out overlaps the data");
            return NULL;
        }
        Py_BEGIN_ALLOW_THREADS
        found = copy_checked((unsigned char *)dst.buf + at,
                             (const unsigned char *)src.buf + start, src.len - start);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&src);
    PyBuffer_Release(&dst);
    return PyLong_FromSsize_t(found < 0 ? -1 : start + found);
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
    {"copy_scan", copy_scan, METH_VARARGS,
     "copy_scan(data, start, out, at) -> where the scan starting at data[start] ends (the "
     "offset of its marker in data), or -1; copies it to out[at:], searching the copy."},
    {"room", room, METH_O,
     "room(size) -> a bytearray of size bytes that are NOT zeroed (bytearray(size) spends "
     "a tenth of a photo's cleaning on that): for a caller that writes every byte it keeps."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan", "The byte loops of the lossless JPEG path.", -1, methods,
};

PyMODINIT_FUNC PyInit__scan(void)
{
    return PyModule_Create(&module);
}
