#include "numeric_layout.hpp"

namespace socrata {

namespace {

// numeric.c's constants for the short format.
constexpr std::uint16_t kShort = 0x8000;
constexpr std::uint16_t kShortNegative = 0x2000;
constexpr int kScaleShift = 7;
constexpr int kMaxScale = 0x1F80 >> kScaleShift; // 63
constexpr std::uint16_t kWeightNegative = 0x0040;
constexpr std::uint16_t kWeightMask = 0x003F;
constexpr int kMaxWeight = kWeightMask;        // 63
constexpr int kMinWeight = -(kWeightMask + 1); // -64
constexpr std::uint64_t kBase = 10000;         // NBASE, DEC_DIGITS = 4

} // namespace

bool numeric_layout(std::int64_t digits, int scale, NumericLayout &out) noexcept {
    if (scale < 0 || scale > kMaxScale)
        return false;
    const bool negative = digits < 0;
    // The magnitude, INT64_MIN included.
    std::uint64_t magnitude =
        negative ? 0 - static_cast<std::uint64_t>(digits) : static_cast<std::uint64_t>(digits);
    // Zeros appended until the fraction fills whole base-10000 digits: 1.5 is 1 and 5000.
    const int pad = (4 - scale % 4) % 4;
    static constexpr std::uint64_t kPad[] = {1, 10, 100, 1000};
    if (__builtin_mul_overflow(magnitude, kPad[pad], &magnitude))
        return false;
    // Base-10000 digits, least significant first; then the trailing zero ones dropped, as
    // make_result drops them.
    std::uint16_t reversed[5];
    int n = 0;
    for (; magnitude != 0; magnitude /= kBase)
        reversed[n++] = static_cast<std::uint16_t>(magnitude % kBase);
    int low = 0;
    while (low < n && reversed[low] == 0)
        ++low;
    const int fraction_digits = (scale + pad) / 4;
    // Zero: weight 0, no digits, positive (digits < 0 has n != 0), as make_result makes it.
    const int weight = n == 0 ? 0 : n - 1 - fraction_digits;
    if (weight > kMaxWeight || weight < kMinWeight)
        return false;
    std::uint16_t header = kShort | static_cast<std::uint16_t>(scale << kScaleShift) |
                           static_cast<std::uint16_t>(weight & kWeightMask);
    if (negative)
        header |= kShortNegative;
    if (weight < 0)
        header |= kWeightNegative;
    out.words[0] = header;
    out.count = 1;
    for (int i = n - 1; i >= low; --i)
        out.words[out.count++] = reversed[i];
    return true;
}

} // namespace socrata
