/*
 * walk.h - a student's files, reached from descriptors, never through a
 * link that leads out (see walk.c).
 */
#ifndef NETLAB_WALK_H
#define NETLAB_WALK_H

#include <sys/types.h>

#include "buf.h"

/* Opens PATH (openat2) from the folder ROOT, following links only while
 * they stay inside ROOT: EXDEV when one leads out.  FLAGS as open's. */
int open_beneath(int root, const char *path, int flags);
/* Opens the folder PATH, following its parents (the instructor's) but not
 * PATH itself: -1 with errno (ELOOP: a link, ENOTDIR) and, unless WHY is
 * NULL, what PATH is ("PATH is a symbolic link to /etc") in WHY. */
int open_folder(const char *path, struct buf *why);
/* Opens NAME of the folder DIR for reading if it is a regular file,
 * without following a link; else -1, with what it is in WHY (unless NULL). */
int open_regular(int dir, const char *name, struct buf *why);
/* "a folder", "a fifo (named pipe)", "a character device"... */
const char *kind_of_file(mode_t mode);
/* Appends what NAME of the folder DIR is, of MODE (lstat's): "a fifo
 * (named pipe)", or for a link "a symbolic link to TARGET". */
void describe_entry(struct buf *why, int dir, const char *name, mode_t mode);
/* Writes what remains of the open file IN into the open file OUT: 0, or
 * -1 with errno. */
int copy_file_contents(int in, int out);
/* Copies the regular file FROM (not a link) to the new file TO, with MODE.
 * 0, or -1 with why in ERR. */
int copy_regular_file(const char *from, const char *to, mode_t mode, struct buf *err);
/* Appends why open_beneath failed with ERR: ", which leads out of WHERE". */
void describe_beneath_failure(struct buf *why, int err, const char *where);
/* Opens a check's lab folder LAB_DIR, before the check's mounts hide
 * anything; if it is no folder (a link to one...), -1 and why in
 * *REFUSED (allocated). */
int open_lab_folder(const char *lab_dir, char **refused);
/* 0 if NAME in the lab folder LAB_DIR, open as LAB (or -1 as
 * open_lab_folder REFUSED it), is a program the grader may start: a
 * regular executable file inside the lab folder (a link to one inside it
 * will do).  Else -1 with the check's failure message in WHY. */
int check_program(int lab, const char *lab_dir, const char *refused, const char *name,
                  struct buf *why);
/* Removes the folder PATH and everything in it, never following a link. */
void remove_folder(const char *path);

#endif
