-- mallocbench external workload: table- and string-heavy Lua (every Lua object is allocated
-- through lua5.4's allocator function, which calls the C library's realloc and free).
-- Usage: lua5.4 tables.lua ROUNDS. Deterministic: the checksum is the same under every allocator.
local rounds = tonumber(arg[1])
if not rounds or rounds < 1 then
  io.stderr:write("usage: lua5.4 tables.lua ROUNDS (a positive integer)\n")
  os.exit(2)
end

local ops, checksum = 0, 0
local function mix(v)
  checksum = (checksum * 31 + v) % 1000000007
end

-- A small deterministic generator (no math.random: its sequence may differ between builds).
local state = 12345
local function nextint(n)
  state = (state * 1103515245 + 12345) % 2147483648
  return state % n
end

local cache = {}
for round = 1, rounds do
  -- Records: small tables with string fields, some of them kept across rounds.
  local records = {}
  for i = 1, 2000 do
    local key = string.format("k%05d-%d", nextint(50000), round)
    records[i] = { id = i, key = key, tags = { "a" .. i % 7, "b" .. i % 11 }, weight = nextint(1000) }
    ops = ops + 1
  end
  -- Index by key, then sort a copy by weight.
  local byKey = {}
  for _, r in ipairs(records) do
    byKey[r.key] = r
  end
  table.sort(records, function(a, b)
    if a.weight ~= b.weight then return a.weight < b.weight end
    return a.id < b.id
  end)
  mix(records[1].weight + records[#records].weight)
  -- Strings: build, split, substitute, concatenate.
  local parts = {}
  for i = 1, 600 do
    local r = records[i]
    parts[#parts + 1] = r.key .. ":" .. table.concat(r.tags, ",")
  end
  local text = table.concat(parts, ";")
  local replaced, n = text:gsub("(%a)(%d)", "%2%1")
  mix(#replaced + n)
  local fields = 0
  for field in text:gmatch("[^;]+") do
    fields = fields + #field
  end
  mix(fields)
  ops = ops + 600 + n
  -- A rolling cache: entries live for a few rounds, so frees interleave with new allocations.
  cache[round] = { text = replaced, keys = byKey }
  cache[round - 4] = nil
  local live = 0
  for _, entry in pairs(cache) do
    live = live + #entry.text
  end
  mix(live % 65536)
end

print("ops=" .. ops)
print("checksum=" .. checksum)
