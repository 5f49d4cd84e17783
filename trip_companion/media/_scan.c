/* The two byte-by-byte loops of the lossless JPEG path: finding where an entropy-coded
 * scan ends, and joining the clean file while searching each copied scan again.
 *
 * A scan's coded bytes may hold 0xFF only as 0xFF00 (stuffing), 0xFFD0-0xFFD7 (restart
 * markers) or runs of 0xFF (fill before a marker). The first 0xFF followed by anything
 * else begins the next marker. This is the same search as the regular expression in
 * jpeg.py (which stays as the fallback and the reference the tests compare this with);
 * memchr skips the megabytes between 0xFF bytes far faster than the regex engine.
 *
 * It reads only inside the buffers Python lends it, writes only into the bytes object it
 * made, and parses nothing: every structural decision stays in Python.
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

/* Copy ``len`` bytes to ``dst`` a cache-sized chunk at a time; from ``from`` on (-1: never),
 * search what was just copied for a marker. Returns the marker's offset in dst, or -1.
 * Searching the copy, not the source, means what is checked is what is kept. */
static Py_ssize_t copy_checked(unsigned char *dst, const unsigned char *src, Py_ssize_t len,
                               Py_ssize_t from)
{
    Py_ssize_t done = 0, searched = from, step, found;

    while (done < len) {
        step = len - done < COPY_CHUNK ? len - done : COPY_CHUNK;
        memcpy(dst + done, src + done, (size_t)step);
        done += step;
        if (from >= 0 && done - searched >= 2) {
            found = find_scan_end(dst, done, searched);
            if (found >= 0)
                return found;
            searched = done - 1;  /* its follower may come with the next chunk */
        }
    }
    return -1;
}

static void release_all(Py_buffer *views, Py_ssize_t count)
{
    for (Py_ssize_t i = 0; i < count; i++)
        PyBuffer_Release(&views[i]);
    PyMem_Free(views);
}

static PyObject *join(PyObject *module, PyObject *args)
{
    PyObject *parts_arg, *from_arg, *parts = NULL, *froms = NULL, *result = NULL;
    Py_buffer *views = NULL;
    Py_ssize_t *from = NULL, count, held = 0, total = 0, pos = 0, bad = -1;

    if (!PyArg_ParseTuple(args, "OO:join", &parts_arg, &from_arg))
        return NULL;
    /* Tuples, not the lists passed in: taking a buffer can run Python code, which could
     * change a list under the items we hold (found by review; tuples can't change). */
    parts = PySequence_Tuple(parts_arg);
    froms = parts ? PySequence_Tuple(from_arg) : NULL;
    if (froms == NULL)
        goto done;
    count = PyTuple_GET_SIZE(parts);
    if (PyTuple_GET_SIZE(froms) != count) {
        PyErr_SetString(PyExc_ValueError, "one check_from per part");
        goto done;
    }
    views = PyMem_Calloc((size_t)count + 1, sizeof(Py_buffer));
    from = PyMem_Calloc((size_t)count + 1, sizeof(Py_ssize_t));
    if (views == NULL || from == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; held < count; held++) {
        if (PyObject_GetBuffer(PyTuple_GET_ITEM(parts, held), &views[held], PyBUF_SIMPLE) < 0)
            goto done;
        from[held] = PyLong_AsSsize_t(PyTuple_GET_ITEM(froms, held));
        if (from[held] == -1 && PyErr_Occurred()) {
            PyBuffer_Release(&views[held]);
            goto done;
        }
        if (from[held] < -1 || from[held] > views[held].len) {
            PyBuffer_Release(&views[held]);
            PyErr_SetString(PyExc_ValueError, "check_from is outside its part");
            goto done;
        }
        if (views[held].len > PY_SSIZE_T_MAX - total) {
            PyBuffer_Release(&views[held]);
            PyErr_SetString(PyExc_OverflowError, "parts too large");
            goto done;
        }
        total += views[held].len;
    }
    result = PyBytes_FromStringAndSize(NULL, total);
    if (result == NULL)
        goto done;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count && bad < 0; i++) {
        unsigned char *dst = (unsigned char *)PyBytes_AS_STRING(result) + pos;
        if (views[i].len > 0) {
            Py_ssize_t found = copy_checked(dst, views[i].buf, views[i].len, from[i]);
            if (found >= 0)
                bad = pos + found;
        }
        pos += views[i].len;
    }
    Py_END_ALLOW_THREADS
    if (bad >= 0) {
        Py_CLEAR(result);
        PyErr_Format(PyExc_ValueError, "a marker at %zd inside a copied scan", bad);
    }
done:
    if (views != NULL)
        release_all(views, held);
    PyMem_Free(from);
    Py_XDECREF(parts);
    Py_XDECREF(froms);
    return result;
}

static PyMethodDef methods[] = {
    {"scan_end", scan_end, METH_VARARGS,
     "scan_end(data, start) -> offset of the marker that ends the scan at start, or -1."},
    {"join", join, METH_VARARGS,
     "join(parts, check_from) -> bytes of the parts joined; from check_from[i] on (-1: "
     "not at all) part i must hold no marker, else ValueError."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan", "The byte loops of the lossless JPEG path.", -1, methods,
};

PyMODINIT_FUNC PyInit__scan(void)
{
    return PyModule_Create(&module);
}
