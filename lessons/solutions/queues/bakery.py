"""Producers bake, consumers eat, one queue between them; it ends when all is eaten.

    python3 bakery.py PRODUCERS CONSUMERS ITEMS
"""
import queue
import sys
import threading

producers, consumers, items = (int(n) for n in sys.argv[1:4])
shelf = queue.Queue()
DONE = None                                  # the marker: no more bread


def bake(number):
    for n in range(items):
        shelf.put(f"p{number}-{n}")


def eat(name):
    while (bread := shelf.get()) is not DONE:
        print(f"{name} ate {bread}", flush=True)


bakers = [threading.Thread(target=bake, args=(i,)) for i in range(1, producers + 1)]
eaters = [threading.Thread(target=eat, args=(f"c{i}",)) for i in range(1, consumers + 1)]
for thread in bakers + eaters:
    thread.start()
for thread in bakers:
    thread.join()
for _ in eaters:                             # one marker each: every eater stops once
    shelf.put(DONE)
for thread in eaters:
    thread.join()
