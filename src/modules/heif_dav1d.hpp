// The heif module's own AV1 decoder plugin for libheif (heif_dav1d.cpp):
// libdav1d with a silent logger, on the calling thread, frame size capped.
#pragma once
#include <cstdint>

struct heif_decoder_plugin;

namespace hashguard_heif {

/// The plugin, for heif_register_decoder() on a context.
const heif_decoder_plugin* silent_dav1d_plugin();

/// While alive, AV1 decoders the plugin opens on this thread refuse frames
/// above max_pixels (dav1d's frame_size_limit), and so does the HEVC plugin
/// (heif_hevc.cpp, checking each SPS before decoding).
/// The limit set on this thread by the innermost FrameSizeLimit, 0 when none.
unsigned frame_size_limit();

class FrameSizeLimit {
public:
    explicit FrameSizeLimit(std::uint64_t max_pixels);
    ~FrameSizeLimit();
    FrameSizeLimit(const FrameSizeLimit&) = delete;
    FrameSizeLimit& operator=(const FrameSizeLimit&) = delete;

private:
    unsigned previous_;
};

}  // namespace hashguard_heif
