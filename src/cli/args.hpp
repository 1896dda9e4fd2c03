// The CLI's one argument parser: each subcommand declares its options (name,
// value type and range, help) and gets parsing, validation, `--help` and
// usage errors from here.
#pragma once
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace hgcli {

class Args {
public:
    /// `command`: "hashguard scan"; `synopsis`: "[options] PATH..."; `about`:
    /// paragraphs printed under the synopsis; `footer`: after the options.
    Args(std::string command, std::string synopsis, std::string about, std::string footer = {});

    /// `names`: "-q,--quiet" or "--dihedral".
    Args& flag(const char* names, bool& dst, const char* help);
    /// Sets dst to `value` when given (e.g. --no-digests clears a default-on setting).
    Args& flag_value(const char* names, bool& dst, bool value, const char* help);
    Args& text(const char* names, const char* metavar, std::string& dst, const char* help);
    /// Repeatable: each occurrence appends.
    Args& texts(const char* names, const char* metavar, std::vector<std::string>& dst, const char* help);
    Args& integer(const char* names, const char* metavar, long long& dst, long long lo, long long hi,
                  const char* help);
    Args& real(const char* names, const char* metavar, double& dst, double lo, double hi, const char* help);
    /// One of `choices` (word -> value).
    Args& choice(const char* names, const char* metavar, int& dst, std::vector<std::pair<std::string, int>> choices,
                 const char* help);
    /// Operands; at least `min` of them.
    Args& operands(const char* metavar, std::vector<std::string>& dst, std::size_t min);

    /// Parses argv[0..argc). Returns -1 to carry on, or the exit status to
    /// leave with: 0 after printing --help to stdout, 2 after printing a usage
    /// error to stderr.
    int parse(int argc, char** argv);
    std::string help() const;

private:
    struct Option {
        std::vector<std::string> names;
        std::string metavar, help;
        bool takes_value = false;
        std::function<bool(const std::string&)> apply;  // false: invalid value
        std::string expected;                           // what a valid value looks like
    };
    Args& add(const char* names, const char* metavar, const char* help, std::string expected,
              std::function<bool(const std::string&)> apply);
    int usage_error(const std::string& why) const;
    const Option* find(const std::string& name) const;

    std::string command_, synopsis_, about_, footer_;
    std::vector<Option> options_;
    std::vector<std::string>* operands_ = nullptr;
    std::string operand_metavar_;
    std::size_t min_operands_ = 0;
};

/// Strict decimal integer (the whole string, no sign for unsigned use).
bool parse_integer(const std::string& s, long long& v);
bool parse_real(const std::string& s, double& v);

}  // namespace hgcli
