/*
 * browser.h - for the kit's tests that read an HTML page as a person sees
 * it: opens a file in headless Chromium over its DevTools pipe (no port,
 * no other process to talk to), waits for the page's load event, can save
 * a screenshot, and runs a JavaScript expression over the rendered page,
 * whose string is what the test reads.  Every wait has a deadline.
 * Header-only, as each test program is one C file; it needs python3.
 */
#ifndef NETLAB_TESTS_BROWSER_H
#define NETLAB_TESTS_BROWSER_H

#include <criterion/criterion.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "command.h"

/*
 * The driver: python3 DRIVER CHROMIUM PROFILE URL WIDTH EXPRESSION SCREENSHOT.
 * The window is WIDTH CSS pixels wide (1024 high), at one device pixel
 * per CSS pixel.  Once the page has loaded it saves the whole page's
 * screenshot as a PNG to SCREENSHOT (unless empty), then prints
 * "requests N" (what the page fetched, itself included) and the string
 * EXPRESSION gives.
 */
static const char browser_driver_py[] =
    "import base64, json, os, select, subprocess, sys, time\n"
    "chromium, profile, url, width, expression, screenshot = sys.argv[1:7]\n"
    "width = int(width)\n"
    "to_r, to_w = os.pipe()\n"
    "from_r, from_w = os.pipe()\n"
    "def devtools_fds():\n"
    "    # Chromium reads commands on descriptor 3 and answers on 4.\n"
    "    a, b = os.dup(to_r), os.dup(from_w)\n"
    "    os.dup2(a, 3)\n"
    "    os.dup2(b, 4)\n"
    "flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',\n"
    "         '--no-first-run', '--disable-background-networking',\n"
    "         '--disable-component-update', '--disable-sync',\n"
    "         '--window-size=%d,1024' % width, '--hide-scrollbars',\n"
    "         '--user-data-dir=' + profile, '--remote-debugging-pipe', 'about:blank']\n"
    "# A session of its own: its group is every Chromium process, to stop at the end.\n"
    "proc = subprocess.Popen([chromium] + flags, preexec_fn=devtools_fds, close_fds=False,\n"
    "                        start_new_session=True, stdin=subprocess.DEVNULL,\n"
    "                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "os.close(to_r)\n"
    "os.close(from_w)\n"
    "deadline = time.monotonic() + 90\n"
    "pending, events, last_id = b'', [], 0\n"
    "def receive():\n"
    "    global pending\n"
    "    while b'\\0' not in pending:\n"
    "        left = deadline - time.monotonic()\n"
    "        if left <= 0 or not select.select([from_r], [], [], left)[0]:\n"
    "            sys.exit('chromium did not answer in time')\n"
    "        chunk = os.read(from_r, 65536)\n"
    "        if not chunk:\n"
    "            sys.exit('chromium closed its DevTools pipe')\n"
    "        pending += chunk\n"
    "    message, _, pending = pending.partition(b'\\0')\n"
    "    return json.loads(message)\n"
    "def call(method, params={}, session=None):\n"
    "    global last_id\n"
    "    last_id += 1\n"
    "    message = {'id': last_id, 'method': method, 'params': params}\n"
    "    if session:\n"
    "        message['sessionId'] = session\n"
    "    os.write(to_w, json.dumps(message).encode() + b'\\0')\n"
    "    while True:\n"
    "        reply = receive()\n"
    "        if reply.get('id') != last_id:\n"
    "            events.append(reply)\n"
    "        elif 'error' in reply:\n"
    "            sys.exit(method + ': ' + json.dumps(reply['error']))\n"
    "        else:\n"
    "            return reply['result']\n"
    "def seen(method, session):\n"
    "    return [e for e in events if e.get('method') == method and\n"
    "            e.get('sessionId') == session]\n"
    "def evaluate(expression, session):\n"
    "    result = call('Runtime.evaluate', {'expression': expression,\n"
    "                                       'returnByValue': True}, session)\n"
    "    if 'exceptionDetails' in result:\n"
    "        sys.exit('the expression failed: ' + json.dumps(result['exceptionDetails']))\n"
    "    return result['result']['value']\n"
    "def metrics(height, session):\n"
    "    call('Emulation.setDeviceMetricsOverride', {'width': width, 'height': height,\n"
    "         'deviceScaleFactor': 1, 'mobile': False}, session)\n"
    "try:\n"
    "    target = call('Target.createTarget', {'url': 'about:blank'})['targetId']\n"
    "    session = call('Target.attachToTarget', {'targetId': target,\n"
    "                                             'flatten': True})['sessionId']\n"
    "    call('Page.enable', session=session)\n"
    "    call('Network.enable', session=session)\n"
    "    metrics(1024, session)\n"
    "    call('Page.navigate', {'url': url}, session)\n"
    "    while not seen('Page.loadEventFired', session):\n"
    "        events.append(receive())\n"
    "    if screenshot:\n"
    "        # The whole page, in a window as tall as it (to a limit), then back.\n"
    "        height = evaluate('document.documentElement.scrollHeight', session)\n"
    "        metrics(max(1, min(int(height), 16000)), session)\n"
    "        png = call('Page.captureScreenshot', {'format': 'png'}, session)['data']\n"
    "        with open(screenshot, 'wb') as f:\n"
    "            f.write(base64.b64decode(png))\n"
    "        metrics(1024, session)\n"
    "    value = evaluate(expression, session)\n"
    "    print('requests', len(seen('Network.requestWillBeSent', session)))\n"
    "    print(value)\n"
    "    call('Browser.close')\n"
    "    proc.wait(timeout=max(1, deadline - time.monotonic()))\n"
    "finally:\n"
    "    try:\n"
    "        os.killpg(proc.pid, 9)\n"
    "    except ProcessLookupError:\n"
    "        pass\n"
    "    proc.wait()\n";

/* Chromium's program, if installed: Debian's, or Ubuntu's name for it. */
static inline const char *find_chromium(void)
{
    static const char *const names[] = { "/usr/bin/chromium", "/usr/bin/chromium-browser" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (access(names[i], X_OK) == 0)
            return names[i];
    return NULL;
}

/* Skips the test where Chromium is not installed, saying what was not
 * seen. */
#define SKIP_WITHOUT_CHROMIUM(what)                                                           \
    do {                                                                                      \
        if (find_chromium() == NULL)                                                          \
            cr_skip_test("skipped: Chromium is not installed, so " what " was not "           \
                         "rendered in a browser (.ci/run installs it: apt-get install "       \
                         "chromium)");                                                        \
    } while (0)

/*
 * Opens the HTML file PAGE (an absolute path) in headless Chromium WIDTH
 * CSS pixels wide and returns (to free) "requests N\n" (what the page
 * fetched, itself included) and the string the JavaScript EXPRESSION gives
 * over the loaded page, with a newline.  Saves the whole page as a PNG to
 * SCREENSHOT first, unless NULL.  Chromium's profile lives in a folder of
 * WORK (made and removed here).  Fails the test if Chromium or the
 * expression does.
 */
static inline char *browser_render(const char *work, const char *page, int width,
                                   const char *expression, const char *screenshot)
{
    const char *chromium = find_chromium();
    cr_assert_not_null(chromium, "Chromium is not installed");
    struct buf profile = { 0 }, script = { 0 }, url = { 0 };
    buf_printf(&profile, "%s/chromium-XXXXXX", work);
    cr_assert_not_null(mkdtemp(profile.data), "%s: %s", profile.data, strerror(errno));
    buf_printf(&script, "%s/driver.py", profile.data);
    FILE *f = fopen(script.data, "w");
    cr_assert_not_null(f, "%s: %s", script.data, strerror(errno));
    fputs(browser_driver_py, f);
    cr_assert_eq(fclose(f), 0, "%s: %s", script.data, strerror(errno));
    buf_printf(&url, "file://%s", page);
    char size[16];
    snprintf(size, sizeof size, "%d", width);
    const char *argv[] = { "python3", script.data, chromium,   profile.data,
                           url.data,  size,        expression, screenshot ? screenshot : "",
                           NULL };
    int out = temp_fd(), err = temp_fd();
    int status = run_program(argv, NULL, NULL, out, err);
    struct buf seen = { 0 }, errors = { 0 };
    take_file(out, &seen);
    take_file(err, &errors);
    const char *rm[] = { "rm", "-rf", profile.data, NULL };
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    run_program(rm, NULL, NULL, null, null);
    close(null);
    buf_free(&profile);
    buf_free(&script);
    buf_free(&url);
    cr_assert_eq(status, 0, "the browser's driver failed (%d):\n%s", status, errors.data);
    buf_free(&errors);
    return seen.data;
}

#endif
