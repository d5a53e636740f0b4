-- Drives wrk from a file of prepared requests, one a line: METHOD, PATH, AUTHORIZATION, one more
-- header ("Name: value"), BODY, separated by tabs. "random" picks a request at random each time;
-- "sequence" sends each request once across all threads (lines thread, thread + threads, ...).
local requests = {}
local counter = 0
local threads = 0

function setup(thread)
  thread:set("offset", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(args[1]) do
    local method, path, auth, extra, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = { ["X-Forwarded-Proto"] = "https" }
    if auth ~= "" then headers["Authorization"] = auth end
    if extra ~= "" then
      local name, value = extra:match("^([^:]+):%s*(.*)$")
      headers[name] = value
    end
    if body ~= "" and headers["Content-Type"] == nil then headers["Content-Type"] = "application/json" end
    requests[#requests + 1] = wrk.format(method, path, headers, body ~= "" and body or nil)
  end
  mode = args[2] or "random"
  stride = tonumber(args[3] or "1")
  math.randomseed(os.time() + (offset or 0))
end

function request()
  if mode == "sequence" then
    local i = (offset or 0) + counter * stride
    counter = counter + 1
    return requests[(i % #requests) + 1]
  end
  return requests[math.random(#requests)]
end
