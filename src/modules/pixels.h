/* Small pixel helpers shared by the library's decoders and the format
 * modules (which link nothing of the library). Internal. */
#ifndef HASHGUARD_MODULE_PIXELS_H
#define HASHGUARD_MODULE_PIXELS_H

#include <stdint.h>

/* ImageMagick Q16's 16-bit to 8-bit scaling (ScaleQuantumToChar). */
static inline uint8_t hg_scale16to8(unsigned q) {
    return (uint8_t)(((q + 128u) - ((q + 128u) >> 8)) >> 8);
}

#endif
