# Shell functions for a throwaway Redis on loopback, without persistence: sourced by test.sh.

# Installs redis-server from Debian's packages when this machine lacks it.
redis_ensure_binaries() {
  if command -v redis-server >/dev/null 2>&1; then
    return
  fi
  echo "redis-server not found; installing it with apt-get." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq redis-server >/dev/null
}

# redis_start DIR PORT: a Redis on 127.0.0.1:PORT keeping nothing on disk, its pid in DIR/redis.pid;
# waits until it answers.
redis_start() {
  local dir=$1 port=$2
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$dir" \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
  for _ in $(seq 1 50); do
    if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
      return
    fi
    sleep 0.1
  done
  echo "Redis did not start on 127.0.0.1:$port; see $dir/redis.log." >&2
  return 1
}

# redis_stop DIR: stops the Redis whose pid redis_start wrote in DIR.
redis_stop() {
  local pidfile="$1/redis.pid" pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
}
