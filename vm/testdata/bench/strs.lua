local parts = {}
for i = 0, 1000000 - 1 do
  parts[#parts + 1] = tostring(i)
  parts[#parts + 1] = " "
end
local s = table.concat(parts)
local words = 0
for i = 1, #s do
  if string.byte(s, i) == 32 then words = words + 1 end
end
print(#s, words)
