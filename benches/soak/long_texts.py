"""Endless canonical mentions with distinct texts of 2-60 KB (random words, all mention acme),
for benches/soak/soak.sh. Seeded, so a run is repeatable."""
import json
import random
import sys

rng = random.Random(7)
words = ("acme rocket skates refund broken great awful service delivery late love hate app "
         "update battery screen support order price cheap expensive fast slow quality").split()
i = 0
out = sys.stdout
try:
    while True:
        size = rng.randint(2_000, 60_000)
        parts = ["acme"]
        n = 4
        while n < size:
            w = rng.choice(words) + str(rng.randint(0, 10**6))
            parts.append(w)
            n += len(w) + 1
        out.write(json.dumps({"id": f"soak-{i}", "text": " ".join(parts),
                              "created_at": "2026-11-01T12:00:00Z", "source": "review"}) + "\n")
        i += 1
except BrokenPipeError:
    pass
