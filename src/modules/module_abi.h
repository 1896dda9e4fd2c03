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

#define HG_MODULE_ABI 3 /* 2: the request gained check_size, check_time and host; 3: decode_video */
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

/* One decoded video frame, as the decoder returned it: 8-bit planar YUV. */
typedef struct hg_video_frame {
    uint64_t number; /* 0-based count of the frames the decoder returned */
    int width, height;
    int chroma;     /* HG_CHROMA_420, HG_CHROMA_422 or HG_CHROMA_BGRA */
    int full_range; /* 1: JPEG range (yuvj*), 0: video range */
    const uint8_t* planes[3]; /* Y, U (Cb), V (Cr) */
    int strides[3];
} hg_video_frame;

#define HG_CHROMA_420 0
#define HG_CHROMA_422 1
#define HG_CHROMA_BGRA 2 /* packed 8-bit B, G, R, A in planes[0] (animated GIF through libavcodec) */

/* One video decode: the first video stream of data[0, len), every frame
 * decoded in order and handed to on_frame (a non-zero return stops the
 * decode with that status). The loader fills the inputs; the module fills
 * fps, the stream's description and frames before/while calling on_frame. */
typedef struct hg_video_request {
    const uint8_t* data;
    size_t len;
    uint32_t max_dimension;
    uint64_t max_pixels;     /* per frame */
    uint64_t max_frames;     /* decoded frames */
    double max_duration_s;   /* declared or reached (frames / fps) */
    int threads;             /* decoder slice threads (1: none) */
    /* Out */
    double fps;              /* avg_frame_rate, else r_frame_rate; 0 when neither */
    uint64_t frames;         /* frames decoded */
    char container[32];      /* demuxer name */
    char codec[32];          /* decoder name */
    int (*on_frame)(void* ctx, const hg_video_frame* frame);
    void* ctx;
    int (*check_time)(struct hg_video_request* request); /* 0 or limit_time with message written */
    void* host;
    char message[256];
} hg_video_request;

typedef struct hg_module_v1 {
    uint32_t abi;  /* HG_MODULE_ABI */
    uint32_t size; /* sizeof(hg_module_v1) */
    const char* name;    /* "heif" */
    const char* library; /* the decoding library and its version, e.g. "libheif 1.15.1" */
    /* Reads the primary image's size from the container, decoding nothing.
     * NULL when the library reads the format's header itself (TIFF). */
    int (*probe)(hg_module_request* request);
    /* Decodes the primary image (its first frame) to 8-bit RGB or grey.
     * NULL in a module that decodes only video. */
    int (*decode)(hg_module_request* request);
    /* ABI 3: decodes a video's frames (NULL in image modules). */
    int (*decode_video)(hg_video_request* request);
} hg_module_v1;

typedef const hg_module_v1* (*hg_module_entry)(void);

#ifdef __cplusplus
}
#endif

#endif
