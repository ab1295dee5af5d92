/*
 * diagram.h - a check's sequence diagram, drawn from its event log: who
 * sent what to whom and when, connections opened, half-closed, closed and
 * reset, datagrams dropped, duplicated and delayed by the grader, signals,
 * program exits, and where the expectation failed.  As text for the
 * terminal (write_text shows it under each failed check) and as an inline
 * SVG for HTML reports.
 *
 * The event log (check_result's `events`) is written in the check's
 * process by log_event (core.h), one event a line, six fields separated by
 * tabs:
 *
 *     MS  KIND  FROM  TO  CONN  LEN  TEXT
 *
 *   MS    milliseconds since the check started, one decimal ("12.5");
 *   KIND  what happened (below);
 *   FROM, TO  actors: "grader", "server", "client", "client #2" (the
 *         second program of that name), "relay"; "" for none; never a tab,
 *         newline or other control character;
 *   CONN  the grader's (or a relay's) connection the event is on, numbered
 *         from 1 in the check as its transcript numbers them ("grader ->
 *         server #2"); 0 for an event on none;
 *   LEN   the event's whole length in bytes (a payload's, a text's), or
 *         for "more" the number of events left out;
 *   TEXT  a head of the payload or text, at most 64 bytes (200 for "start"
 *         and "fail"), escaped as buf_escape_bytes does without its quotes:
 *         no tab or newline, every byte that is no printable ASCII or valid
 *         UTF-8 as \xNN.
 *
 * Kinds: open (FROM connected to TO; TEXT "port A -> port B"), data (bytes
 * on a connection), shut (FROM half-closed: shutdown SHUT_WR), close (FROM
 * closed its side: a FIN), reset (an RST from FROM), error (a send or recv
 * failed; TEXT why), start (the grader started TO; TEXT its command line),
 * stdin (typed on TO's terminal or written to its stdin pipe), stdin-eof
 * (its input ended), stdout and stderr (FROM's output), signal (TEXT
 * "SIGTERM"), exit (FROM ended; TEXT how), dgram (a UDP datagram), dup (one
 * the grader sent again, the same as the one before), late (one the grader
 * held, sent now), delay (the grader holds a datagram for TO; TEXT "150
 * ms"), drop (the grader drops, never answers, what FROM sent; TEXT
 * "ping 2"), more (LEN events left out: the log was full), and last the
 * verdict: fail (TEXT the failure's message), pass or untestable.
 * A log is bounded (SLOT_EVENTS); a line this file cannot read is skipped.
 */
#ifndef NETLAB_DIAGRAM_H
#define NETLAB_DIAGRAM_H

#include <stddef.h>
#include <stdio.h>

struct diagram_event {
    double ms;
    char kind[16];
    char from[24], to[24];
    int conn;
    size_t len;
    char *text; /* as in the log: escaped, still untrusted */
};

/* The events of LOG (NULL: none), at most a bounded number of them, into
 * *OUT (free_events it).  Returns how many. */
size_t parse_events(const char *log, struct diagram_event **out);
void free_events(struct diagram_event *events, size_t n);

/* The diagram of the event log EVENTS as text, every line at most WIDTH
 * columns (at least 40), in printable ASCII as the whole text report is
 * (every other byte as \xNN); nothing when the log is empty or NULL. */
void write_diagram_text(FILE *f, const char *events, int width);

/* The same as an inline SVG element (no script, no link), with a legend;
 * its text UTF-8, the characters of known width shown as they are; nothing
 * when the log is empty or NULL. */
void write_diagram_svg(FILE *f, const char *events);

#endif
