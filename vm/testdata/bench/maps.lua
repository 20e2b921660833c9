local n = 1000000
local m = {}
local len = 0
for i = 0, n - 1 do m[i * 7] = i; len = len + 1 end
local sum = 0
for i = 0, n - 1 do sum = sum + m[i * 7] end
local hits = 0
for i = 0, n - 1 do if m[i] ~= nil then hits = hits + 1 end end
print(len, sum, hits)
