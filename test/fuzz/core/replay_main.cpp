// A main() for the harnesses without libFuzzer: runs LLVMFuzzerTestOneInput once on each file
// named (a directory: each file in it, in name order). `run.sh smoke` links it with g++, which
// has AddressSanitizer and UndefinedBehaviorSanitizer but no -fsanitize=fuzzer, so `make test`
// needs no clang. A failure aborts (FUZZ_CHECK, ASan) or exits non-zero (UBSan, no recovery).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);

int main(int argc, char **argv) {
    namespace fs = std::filesystem;
    std::vector<fs::path> files;
    for (int i = 1; i < argc; ++i) {
        const fs::path arg(argv[i]);
        if (!fs::is_directory(arg)) {
            files.push_back(arg);
            continue;
        }
        std::vector<fs::path> in_dir;
        for (const auto &entry : fs::directory_iterator(arg))
            if (entry.is_regular_file())
                in_dir.push_back(entry.path());
        std::sort(in_dir.begin(), in_dir.end());
        files.insert(files.end(), in_dir.begin(), in_dir.end());
    }
    for (const auto &file : files) {
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "cannot read %s\n", file.c_str());
            return 2;
        }
        const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                      std::istreambuf_iterator<char>()};
        // A heap block of exactly the input's size, as libFuzzer passes it: ASan then sees a
        // read past its end.
        std::unique_ptr<std::uint8_t[]> data(new std::uint8_t[bytes.empty() ? 1 : bytes.size()]);
        if (!bytes.empty())
            std::memcpy(data.get(), bytes.data(), bytes.size());
        std::fprintf(stderr, "input %s\n", file.c_str());
        LLVMFuzzerTestOneInput(data.get(), bytes.size());
    }
    std::fprintf(stderr, "%zu inputs, no failure\n", files.size());
    return 0;
}
