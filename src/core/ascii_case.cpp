#include "ascii_case.hpp"

#include <cctype>

namespace socrata {

std::size_t find_ignoring_case(std::string_view text, std::string_view lowercase_needle,
                               std::size_t from) noexcept {
    for (std::size_t i = from; i + lowercase_needle.size() <= text.size(); ++i) {
        std::size_t j = 0;
        while (j < lowercase_needle.size() &&
               std::tolower(static_cast<unsigned char>(text[i + j])) == lowercase_needle[j])
            ++j;
        if (j == lowercase_needle.size())
            return i;
    }
    return std::string_view::npos;
}

} // namespace socrata
