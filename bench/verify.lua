-- wrk script: POST /api/v1/verifications, each request with a fresh credit code from TOKENS_FILE.
-- Every thread takes every n-th line, so no code is sent twice.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("TOKENS_FILE")
  local stride = tonumber(os.getenv("WRK_THREADS"))
  tokens = {}
  local n = 0
  for line in io.lines(path) do
    if n % stride == id then
      table.insert(tokens, line)
    end
    n = n + 1
  end
  next_index = 1
  auth = os.getenv("AUTH_HEADER")
  key = os.getenv("API_KEY")
end

function request()
  local token = tokens[next_index]
  next_index = next_index + 1
  if token == nil then
    token = "exhausted"
  end
  local headers = {["Content-Type"] = "application/json"}
  if key ~= nil and key ~= "" then
    headers["X-API-Key"] = key
  else
    headers["Authorization"] = auth
  end
  local body = '{"token": "' .. token .. '", "purpose": "discount"}'
  return wrk.format("POST", "/api/v1/verifications", headers, body)
end
