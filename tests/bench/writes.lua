-- wrk script: each request creates a new topic (POST /v1/topics) with a
-- slug unique to its wrk thread and request number, as the token in
-- $BENCH_TOKEN.  Prints one machine-readable line at the end, like
-- paths.lua: requests/s, p50 and p99 in µs, errors (non-2xx count too).
local token = os.getenv("BENCH_TOKEN")
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

local n = 0
function request()
  n = n + 1
  local body = string.format(
    '{"slug":"bench-%d-%d","title":"基准 %d","category":"tools",' ..
    '"tags":["git"],"answer":"写入基准测试 %d"}', id, n, n, n)
  return wrk.format("POST", "/v1/topics", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read +
                 summary.errors.write + summary.errors.status +
                 summary.errors.timeout
  io.write(string.format("RESULT %.1f %d %d %d 0\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), errors))
end
