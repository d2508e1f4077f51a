-- wrk: GET PREFIX/<random key from KEYS>, keep-alive.
local keys = {}
local prefix = os.getenv("PREFIX") or "/embed/"
for line in io.lines(os.getenv("KEYS")) do keys[#keys + 1] = line end
math.randomseed(42)
request = function()
  return wrk.format("GET", prefix .. keys[math.random(#keys)])
end
