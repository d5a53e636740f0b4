# Debian's Chromium for the browser test (tests drive it with Playwright at /usr/bin/chromium): sourced by test.sh.
# Never a browser download: Playwright's own browsers are not installed, only the distribution's package.

CHROMIUM=/usr/bin/chromium
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

# Installs chromium with apt-get when it is missing, retrying while another apt-get holds the lock.
# When it cannot, it says so and the browser test fails naming what is missing: nothing passes without a browser.
chromium_ensure() {
  if [ -x "$CHROMIUM" ]; then
    return 0
  fi
  if ! command -v apt-get >/dev/null; then
    echo "Chromium not found at $CHROMIUM and apt-get is not available: the browser test will fail. Install Debian's chromium package." >&2
    return 0
  fi
  echo "Chromium not found; installing Debian's chromium with apt-get." >&2
  export DEBIAN_FRONTEND=noninteractive
  local attempt
  for attempt in 1 2 3; do
    if apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=120 chromium >/dev/null; then
      return 0
    fi
    echo "apt-get could not install chromium (attempt $attempt of 3)." >&2
    sleep $((attempt * 10))
  done
  echo "Chromium could not be installed: the browser test will fail." >&2
}
