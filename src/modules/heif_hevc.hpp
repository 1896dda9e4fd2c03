// The heif module's own HEVC decoder plugin for libheif (heif_hevc.cpp):
// libavcodec's HEVC decoder, silenced per codec context, on the calling
// thread, frame size capped by FrameSizeLimit (heif_dav1d.hpp).
#pragma once
#include <cstddef>
#include <cstdint>

struct heif_decoder_plugin;

namespace hashguard_heif {

/// The plugin, for heif_register_decoder() on a context.
const heif_decoder_plugin* silent_hevc_plugin();

/// Checks the sequence parameter sets in libheif's HEVC data (4-byte
/// big-endian length-prefixed NAL units) before libavcodec sees them: every
/// SPS must give a picture size of at least 1x1, at most max_pixels after its
/// conformance window, and small enough for libavutil's image size check
/// (which logs through its own context, whose level offset is always 0; see
/// heif_hevc.cpp). Returns false when an SPS fails or cannot be read that far.
bool hevc_sps_sizes_ok(const std::uint8_t* data, std::size_t size, std::uint64_t max_pixels);

}  // namespace hashguard_heif
