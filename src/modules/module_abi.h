/* The interface between libhashguard and a format module: a shared object
 * loaded with dlopen() the first time an attachment needs it, so that a
 * format with a large dependency tree (HEIC/AVIF: libheif with libde265,
 * x265, dav1d and libaom) stays out of processes that never see one.
 * Internal: not installed, not part of the public API. See HACKING.md
 * ("Format modules").
 *
 * A module exports one C function, hashguard_module_v1(), returning a
 * pointer to a static hg_module_v1. The loader checks `abi` and `size`
 * before calling anything else. A module never throws, prints or aborts;
 * every entry point returns a hashguard Status value (0 = ok) and, on
 * failure, writes a NUL-terminated message naming the cause into
 * request->message. It may be called from many threads at once. */
#ifndef HASHGUARD_MODULE_ABI_H
#define HASHGUARD_MODULE_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HG_MODULE_ABI 2 /* 2: the request gained check_size, check_time and host */
#define HG_MODULE_SYMBOL "hashguard_module_v1"

/* One decode or probe call. The loader fills the input fields; the module
 * fills width/height and, for decode, the pixels through alloc_pixels. */
typedef struct hg_module_request {
    const uint8_t* data; /* the whole attachment */
    size_t len;
    uint32_t max_dimension; /* limits, as DecodeOptions */
    uint64_t max_pixels;
    uint64_t max_memory_bytes;
    /* Out: the image's size after its transformations (rotation, mirror, crop). */
    uint64_t width, height;
    /* Decode only: 8-bit interleaved pixels, channels 1 (grey) or 3 (RGB),
     * rows packed. Returns NULL when the allocation fails (then the module
     * returns out_of_memory). Owned by the caller. */
    void* alloc_ctx;
    uint8_t* (*alloc_pixels)(void* alloc_ctx, int width, int height, int channels);
    char message[256];
    /* The library's checks, for decoders that find sizes while they decode
     * (a TIFF's tile grid) and loops that must stop at the time budget. Both
     * return 0 or the limit's status with its message written; set by the
     * loader for probe and decode, called only on the calling thread.
     * check_size: width x height of `what` ("tiff tile") against
     * max_dimension / max_pixels. check_time: the decode's max_decode_ms. */
    int (*check_size)(struct hg_module_request* request, uint64_t width, uint64_t height, const char* what);
    int (*check_time)(struct hg_module_request* request);
    void* host; /* the loader's context for those two */
} hg_module_request;

typedef struct hg_module_v1 {
    uint32_t abi;  /* HG_MODULE_ABI */
    uint32_t size; /* sizeof(hg_module_v1) */
    const char* name;    /* "heif" */
    const char* library; /* the decoding library and its version, e.g. "libheif 1.15.1" */
    /* Reads the primary image's size from the container, decoding nothing.
     * NULL when the library reads the format's header itself (TIFF). */
    int (*probe)(hg_module_request* request);
    /* Decodes the primary image (its first frame) to 8-bit RGB or grey. */
    int (*decode)(hg_module_request* request);
} hg_module_v1;

typedef const hg_module_v1* (*hg_module_entry)(void);

#ifdef __cplusplus
}
#endif

#endif
