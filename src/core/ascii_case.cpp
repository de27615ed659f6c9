#include "ascii_case.hpp"

namespace socrata {

std::string ascii_lowercase(std::string_view text) {
    std::string out(text);
    for (char &c : out)
        c = ascii_lower(c);
    return out;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

std::size_t find_ignoring_case(std::string_view text, std::string_view lowercase_needle,
                               std::size_t from) noexcept {
    for (std::size_t i = from; i + lowercase_needle.size() <= text.size(); ++i) {
        std::size_t j = 0;
        while (j < lowercase_needle.size() && ascii_lower(text[i + j]) == lowercase_needle[j])
            ++j;
        if (j == lowercase_needle.size())
            return i;
    }
    return std::string_view::npos;
}

} // namespace socrata
