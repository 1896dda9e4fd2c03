/* Pure C use of the hashguard C API: scan files against hash lists.
 *
 *   scan_file [--block NAME=LIST]... [--allow NAME=LIST]... [--md5 NAME=LIST]... FILE...
 *
 * PDQ lists by default; --md5/--sha1/--sha256 add exact-digest block lists.
 * Prints one line per file: verdict, then each match. Exit status: 0 nothing
 * matched, 3 something matched, 1 a file or list could not be read. */
#include <hashguard/hashguard.h>
#include <stdio.h>
#include <string.h>

/* hashguard's strings are NULL when absent (never ""). */
static const char* or_dash(const char* s) { return s ? s : "-"; }

static int add_list(hg_lists* lists, const char* spec, hg_kind kind, hg_role role) {
    char name[256];
    const char* eq = strchr(spec, '=');
    size_t n = eq ? (size_t)(eq - spec) : 0;
    if (!eq || n == 0 || n >= sizeof name) {
        fprintf(stderr, "scan_file: expected NAME=PATH, got '%s'\n", spec);
        return 0;
    }
    memcpy(name, spec, n);
    name[n] = '\0';
    if (hg_lists_add_file(lists, name, eq + 1, kind) != HG_OK ||
        hg_lists_set_int(lists, name, HG_LIST_ROLE, role) != HG_OK) {
        fprintf(stderr, "scan_file: %s\n", hg_last_error());
        return 0;
    }
    return 1;
}

int main(int argc, char** argv) {
    hg_lists* lists = hg_lists_create();
    hg_scanner* scanner = hg_scanner_create();
    int status = 0, i;
    if (!lists || !scanner) {
        fprintf(stderr, "scan_file: %s\n", hg_last_error());
        return 1;
    }
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        const char* opt = argv[i];
        hg_kind kind = HG_KIND_PDQ;
        hg_role role = HG_ROLE_BLOCK;
        if (i + 1 >= argc) break;
        if (strcmp(opt, "--allow") == 0) role = HG_ROLE_ALLOW;
        else if (strcmp(opt, "--md5") == 0) kind = HG_KIND_MD5;
        else if (strcmp(opt, "--sha1") == 0) kind = HG_KIND_SHA1;
        else if (strcmp(opt, "--sha256") == 0) kind = HG_KIND_SHA256;
        else if (strcmp(opt, "--block") != 0) {
            fprintf(stderr, "scan_file: unknown option %s\n", opt);
            return 1;
        }
        if (!add_list(lists, argv[i + 1], kind, role)) return 1;
    }
    if (hg_scanner_set_lists(scanner, lists) != HG_OK) {
        fprintf(stderr, "scan_file: %s\n", hg_last_error());
        return 1;
    }
    hg_lists_free(lists); /* the scanner keeps its own copy */

    for (; i < argc; ++i) {
        hg_result* r = NULL;
        size_t m;
        hg_status st = hg_scan_file(scanner, argv[i], &r);
        if (st != HG_OK) {
            printf("%s: error %s: %s\n", argv[i], hg_status_name(st), hg_last_error());
            status = status ? status : 1;
            continue;
        }
        printf("%s: %s", argv[i], hg_verdict_name(hg_result_verdict(r)));
        if (hg_result_str(r, HG_RESULT_PDQ_HEX))
            printf(" pdq=%s quality=%lld", hg_result_str(r, HG_RESULT_PDQ_HEX), hg_result_int(r, HG_RESULT_QUALITY));
        if (hg_result_status(r) != HG_OK)
            printf(" (%s: %s)", hg_status_name(hg_result_status(r)), or_dash(hg_result_str(r, HG_RESULT_ERROR)));
        printf("\n");
        for (m = 0; m < hg_result_match_count(r); ++m)
            printf("  %s list=%s id=%s distance=%lld transform=%s%s\n",
                   hg_match_int(r, m, HG_MATCH_ROLE) == HG_ROLE_ALLOW ? "allow" : "block",
                   or_dash(hg_match_str(r, m, HG_MATCH_LIST)), or_dash(hg_match_str(r, m, HG_MATCH_ID)),
                   hg_match_int(r, m, HG_MATCH_DISTANCE), or_dash(hg_match_str(r, m, HG_MATCH_TRANSFORM_NAME)),
                   hg_match_int(r, m, HG_MATCH_INNER) ? " (inside borders)" : "");
        if (hg_result_verdict(r) == HG_VERDICT_MATCH) status = 3;
        hg_result_free(r);
    }
    hg_scanner_free(scanner);
    return status;
}
