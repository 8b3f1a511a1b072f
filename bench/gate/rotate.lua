-- wrk: rotate the Host header through hosts.lua (half allowed, half unfiled).
-- wrk reports the denied half as "Non-2xx or 3xx responses".
-- wrk -s bench/gate/rotate.lua ... (HOSTS_LUA=/tmp/gate-bench/hosts.lua)
local hosts = dofile(os.getenv("HOSTS_LUA") or "/tmp/gate-bench/hosts.lua")
local n = #hosts
local i = 0

function setup(thread)
  thread:set("offset", math.random(n))
end

function request()
  i = i + 1
  local h = hosts[((i + (offset or 0)) % n) + 1]
  return wrk.format("GET", "/", { ["Host"] = h })
end

