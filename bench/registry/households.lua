-- wrk script for the registry benchmark: pages of 50 households filtered by a district
-- subtree, `GET /api/v1/households?area=<district>&limit=50[&cursor=…]`.
--
-- What it requests:
--   * Most requests (1 - NEXT_FRACTION) are the FIRST page of a district picked at random
--     among Chongqing's 38 districts/counties (codes read from the CSV given as the first
--     script argument, e.g. data/chongqing/divisions/nbs2023_cq_counties.csv).
--   * NEXT_FRACTION of the requests (second argument, default 0.2) are a NEXT page: a
--     cursor taken at random from the last 256 `next_cursor`s seen in responses, with the
--     district it belongs to (a cursor is `<12-digit village code>~<uuid>`, and the
--     district is its first 6 digits). Following a cursor again walks ever deeper into a
--     district, so deep pages are exercised too.
--
-- What it reports (in done()):
--   * the in-server latency: every response's `Server-Timing: app;dur=<ms>` collected in
--     response() and printed as p50/p90/p99/max, from every wrk thread (setup() keeps the
--     threads and done() reads each one's table with thread:get; with -t1 there is one);
--   * wrk's own latency percentiles (client side, loopback included) and requests/s;
--   * counts of statuses, first/next pages and responses without Server-Timing.
-- Lines starting with "BENCH " are key=value pairs that run.sh parses.
--
-- Usage: wrk -t1 -c32 -d20s --latency -s households.lua http://HOST:PORT -- COUNTIES.csv [NEXT_FRACTION]

local threads = {}
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  table.insert(threads, thread)
end

-- Per-thread state (each wrk thread has its own Lua state).
local districts = {}
local next_fraction = 0.2
local cursors = {}        -- ring of {district, cursor}
local cursor_slot = 0
local CURSOR_RING = 256
durs = {}                 -- global, so done() can read it with thread:get
statuses = {}
no_timing = 0
first_pages = 0
next_pages = 0

local function read_districts(path)
  local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
  for line in f:lines() do
    local code = line:match("^(%d%d%d%d%d%d),")
    if code then table.insert(districts, code) end
  end
  f:close()
  assert(#districts > 0, "no 6-digit district codes in " .. path)
end

function init(args)
  read_districts(args[1] or "data/chongqing/divisions/nbs2023_cq_counties.csv")
  if args[2] then next_fraction = tonumber(args[2]) end
  math.randomseed(os.time() * 1000 + (id or 0))
end

function request()
  if #cursors > 0 and math.random() < next_fraction then
    local c = cursors[math.random(#cursors)]
    next_pages = next_pages + 1
    return wrk.format("GET", "/api/v1/households?area=" .. c[1] .. "&limit=50&cursor=" .. c[2])
  end
  first_pages = first_pages + 1
  local d = districts[math.random(#districts)]
  return wrk.format("GET", "/api/v1/households?area=" .. d .. "&limit=50")
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  local st = headers["server-timing"] or headers["Server-Timing"]
  local d = st and tonumber(st:match("dur=([%d%.]+)"))
  if d then
    durs[#durs + 1] = d
  else
    no_timing = no_timing + 1
  end
  if status == 200 and body then
    -- next_cursor is the page's last field: look only at the tail of the body.
    local c = body:sub(-120):match('"next_cursor":"([^"]+)"')
    if c then
      local district = c:match("^(%d%d%d%d%d%d)")
      if district then
        cursor_slot = cursor_slot % CURSOR_RING + 1
        cursors[cursor_slot] = { district, c }
      end
    end
  end
end

local function pct(sorted, p)
  local n = #sorted
  if n == 0 then return 0 end
  local k = math.ceil(p / 100 * n)
  if k < 1 then k = 1 end
  return sorted[k]
end

function done(summary, latency, requests)
  local all, st = {}, {}
  local missing, firsts, nexts = 0, 0, 0
  for _, t in ipairs(threads) do
    for _, v in ipairs(t:get("durs") or {}) do all[#all + 1] = v end
    for k, v in pairs(t:get("statuses") or {}) do st[k] = (st[k] or 0) + v end
    missing = missing + (t:get("no_timing") or 0)
    firsts = firsts + (t:get("first_pages") or 0)
    nexts = nexts + (t:get("next_pages") or 0)
  end
  table.sort(all)
  local secs = summary.duration / 1e6
  local rps = summary.requests / secs
  local status_list = {}
  for k, v in pairs(st) do status_list[#status_list + 1] = k .. ":" .. v end
  table.sort(status_list)
  local e = summary.errors
  io.write("\n-- in-server latency (Server-Timing app;dur), ms --\n")
  io.write(string.format("  n=%d  p50=%.3f  p90=%.3f  p99=%.3f  max=%.3f\n",
    #all, pct(all, 50), pct(all, 90), pct(all, 99), pct(all, 100)))
  io.write(string.format("  requested: %d first pages, %d next pages; statuses %s; without Server-Timing: %d\n",
    firsts, nexts, table.concat(status_list, ","), missing))
  io.write(string.format(
    "BENCH requests=%d duration_s=%.3f rps=%.1f in_n=%d in_p50_ms=%.3f in_p90_ms=%.3f in_p99_ms=%.3f in_max_ms=%.3f " ..
    "wrk_p50_ms=%.3f wrk_p90_ms=%.3f wrk_p99_ms=%.3f wrk_max_ms=%.3f first_pages=%d next_pages=%d no_timing=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d statuses=%s\n",
    summary.requests, secs, rps, #all, pct(all, 50), pct(all, 90), pct(all, 99), pct(all, 100),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, firsts, nexts, missing,
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(status_list, ",")))
end
