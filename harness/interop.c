/*
 * interop.c - students' clients against other students' servers (see
 * interop.h): the pairs chosen, run as checks, and their matrix written
 * for the class page and as interop.csv.
 */
#include "interop.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "report.h"

const struct check_def *interop_check_of(const struct lab_def *lab)
{
    return find_check(lab, INTEROP_CHECK);
}

size_t interop_choose(const size_t *built, size_t m, int k, struct interop_pair *out)
{
    size_t n = 0;
    if (m <= INTEROP_EVERY_PAIR_UP_TO) {
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < m; j++)
                out[n++] = (struct interop_pair){ built[i], built[j] };
        return n;
    }
    size_t others = k < 0 ? 0 : (size_t)k < m - 1 ? (size_t)k : m - 1;
    for (size_t i = 0; i < m; i++) {
        out[n++] = (struct interop_pair){ built[i], built[i] };
        /* Offsets 1..m-1, spread evenly and distinct (m - 1 >= others):
         * a shift of the class's order, so that every server meets
         * `others` clients besides its own. */
        for (size_t t = 0; t < others; t++) {
            size_t offset = 1 + t * (m - 1) / others;
            out[n++] = (struct interop_pair){ built[i], built[(i + offset) % m] };
        }
    }
    return n;
}

int run_interop(struct interop *io, const struct run_options *opts)
{
    size_t *built = xcalloc(io->n + 1, sizeof *built), m = 0;
    for (size_t i = 0; i < io->n; i++)
        if (io->members[i].not_built == NULL)
            built[m++] = i;
    io->pairs = xcalloc(m * m + 1, sizeof *io->pairs);
    io->npairs = interop_choose(built, m, io->sample, io->pairs);
    free(built);
    io->results = xcalloc(io->npairs + 1, sizeof *io->results);
    for (size_t p = 0; p < io->npairs; p++)
        io->results[p] = (struct check_result){
            .lab = io->lab,
            .def = io->def,
            .impl_dir = io->members[io->pairs[p].server].copy,
            .client_impl_dir = io->members[io->pairs[p].client].copy,
        };
    return run_checks(opts, io->results, io->npairs);
}

/* Whether MESSAGE says the server never came up: the pair then says
 * nothing of the client, and the server's column says it once. */
static bool server_did_not_start(const char *message)
{
    static const char *const starts[] = { "the server stopped before it",
                                          "the server had not listened" };
    for (size_t i = 0; message != NULL && i < COUNT_OF(starts); i++)
        if (strncmp(message, starts[i], strlen(starts[i])) == 0)
            return true;
    return message != NULL && strncmp(message, "cannot run ", 11) == 0 &&
           strstr(message, "/server") != NULL;
}

static enum interop_verdict verdict_of(const struct check_result *r)
{
    if (r->passed)
        return INTEROP_PASS;
    if (r->grader_error)
        return INTEROP_ERROR;
    return server_did_not_start(r->message) ? INTEROP_NO_SERVER : INTEROP_FAIL;
}

static const struct check_result *result_of(const struct interop *io, size_t client,
                                            size_t server)
{
    for (size_t p = 0; p < io->npairs; p++)
        if (io->pairs[p].client == client && io->pairs[p].server == server)
            return &io->results[p];
    return NULL;
}

enum interop_verdict interop_cell(const struct interop *io, size_t client, size_t server,
                                  const char **why)
{
    const struct check_result *r = result_of(io, client, server);
    *why = r != NULL && !r->passed ? r->message : NULL;
    return r != NULL ? verdict_of(r) : INTEROP_NOT_RUN;
}

/* Whether SERVER's column is one of a server that never started: every
 * pair run against it says so. */
static bool column_without_server(const struct interop *io, size_t server)
{
    size_t ran = 0, none = 0;
    for (size_t p = 0; p < io->npairs; p++) {
        if (io->pairs[p].server != server)
            continue;
        ran++;
        none += verdict_of(&io->results[p]) == INTEROP_NO_SERVER;
    }
    return ran > 0 && none == ran;
}

/* The first line of MESSAGE, at most 300 bytes, to free. */
static char *first_line(const char *message)
{
    size_t len = message != NULL ? strcspn(message, "\n") : 0;
    struct buf b = { 0 };
    buf_append(&b, message != NULL ? message : "", len < 300 ? len : 300);
    if (len > 300)
        buf_puts(&b, "...");
    return b.data != NULL ? b.data : xstrdup("");
}

static const char *const verdict_words[] = {
    [INTEROP_NOT_RUN] = "not run",    [INTEROP_PASS] = "pass",
    [INTEROP_FAIL] = "fail",          [INTEROP_NO_SERVER] = "server did not start",
    [INTEROP_ERROR] = "grader error",
};

static void put_csv_row(FILE *f, const char *client, const char *server, const char *verdict,
                        const char *reason)
{
    put_csv_field(f, client);
    fputc(',', f);
    put_csv_field(f, server);
    fputc(',', f);
    put_csv_field(f, verdict);
    fputc(',', f);
    put_csv_field(f, reason);
    fputs("\r\n", f);
}

void write_interop_csv(FILE *f, const struct interop *io)
{
    put_csv_row(f, "client", "server", "verdict", "reason");
    for (size_t p = 0; p < io->npairs; p++) {
        const struct check_result *r = &io->results[p];
        char *reason = first_line(r->passed ? "" : r->message);
        put_csv_row(f, io->members[io->pairs[p].client].name,
                    io->members[io->pairs[p].server].name, verdict_words[verdict_of(r)],
                    reason);
        free(reason);
    }
    for (size_t i = 0; i < io->n; i++)
        if (io->members[i].not_built != NULL)
            put_csv_row(f, io->members[i].name, io->members[i].name, "not built",
                        io->members[i].not_built);
}

/* ---- The class page's section ------------------------------------------ */

/* One cell: its mark (never colour alone), its class, its reason as a
 * tooltip. */
static void put_cell(FILE *f, const struct interop *io, size_t client, size_t server)
{
    static const struct {
        const char *mark, *cls, *title;
    } looks[] = {
        [INTEROP_NOT_RUN] = { "", "", "not in the sample" },
        [INTEROP_PASS] = { "\u2713", "full", "they work together" },
        [INTEROP_FAIL] = { "\u2717", "zero", NULL },
        [INTEROP_NO_SERVER] = { "\u2013", "", "the server did not start" },
        [INTEROP_ERROR] = { "?", "part", NULL },
    };
    if (io->members[client].not_built != NULL || io->members[server].not_built != NULL) {
        fputs("<td title=\"not built\" style=\"background: #eee\"></td>", f);
        return;
    }
    const char *why = NULL;
    enum interop_verdict v = interop_cell(io, client, server, &why);
    char *reason = first_line(why);
    fprintf(f, "<td class=\"%s\" style=\"text-align: center\" title=\"", looks[v].cls);
    put_html_text(f, looks[v].title != NULL ? looks[v].title : reason); /* quotes too */
    fprintf(f, "\">%s</td>", looks[v].mark);
    free(reason);
}

static void put_matrix_head(FILE *f, const struct interop *io)
{
    fputs("<thead><tr><th>client \u2193 server \u2192</th>", f);
    for (size_t j = 0; j < io->n; j++) {
        fputs("<th>", f);
        put_html_text(f, io->members[j].name);
        if (io->members[j].not_built != NULL)
            fputs("<br><small>not built</small>", f);
        else if (column_without_server(io, j))
            fputs("<br><small>server did not start</small>", f);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n", f);
}

void write_interop_html(FILE *f, const struct interop *io)
{
    if (io == NULL)
        return;
    size_t pass = 0, built = 0;
    for (size_t p = 0; p < io->npairs; p++)
        pass += io->results[p].passed;
    for (size_t i = 0; i < io->n; i++)
        built += io->members[i].not_built == NULL;
    fputs("<h2 id=\"interop\">Interoperability: ", f);
    put_html_text(f, io->lab->id);
    fputs("</h2>\n<p>Each submission's client against other submissions' servers, in the "
          "lab's <code>",
          f);
    put_html_text(f, io->def->name);
    fprintf(f,
            "</code> check: the client driven as a user would, each program in a root of "
            "its own, as a user of its own.  %zu pair%s run, %zu worked together%s.  A row "
            "is a client, a column a server; hover over a cell for why it failed.  Not part "
            "of any score; the pairs are in <code>interop.csv</code>.</p>\n",
            io->npairs, io->npairs == 1 ? "" : "s", pass,
            io->npairs < built * built ? " (a sample: each client against its own server "
                                         "and a few others)"
                                       : "");
    fputs("<table class=\"interop\">\n", f);
    put_matrix_head(f, io);
    fputs("<tbody>\n", f);
    for (size_t i = 0; i < io->n; i++) {
        fputs("<tr><th>", f);
        put_html_text(f, io->members[i].name);
        if (io->members[i].not_built != NULL) {
            fputs(" <small>(", f);
            put_html_text(f, io->members[i].not_built);
            fputs(")</small>", f);
        }
        fputs("</th>", f);
        for (size_t j = 0; j < io->n; j++)
            put_cell(f, io, i, j);
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

void free_interop(struct interop *io)
{
    free_results(io->results, io->npairs);
    free(io->results);
    free(io->pairs);
    io->results = NULL;
    io->pairs = NULL;
    io->npairs = 0;
}
