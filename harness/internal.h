/*
 * internal.h - every header of the grader's check process, for the kit's
 * tests, which reach into every layer.  The grader's own files include
 * only the headers they use (see mk/layers.sh).
 */
#ifndef NETLAB_INTERNAL_H
#define NETLAB_INTERNAL_H

#include "buf.h"
#include "cgroup.h"
#include "check.h"
#include "checkrun.h"
#include "children.h"
#include "core.h"
#include "lab.h"
#include "namespaces.h"
#include "quota.h"
#include "runner.h"
#include "sandbox.h"
#include "slot.h"
#include "tsan.h"
#include "walk.h"

#endif
