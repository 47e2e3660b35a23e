"""TASKS tasks in a pool of 3 processes; the main process waits for all, then says done.

    python3 pool.py TASKS
"""
import os
import sys
import time
from multiprocessing import Pool


def task(number):
    time.sleep(0.05)                          # long enough for the pool to share the work
    print(f"task {number} pid {os.getpid()}", flush=True)


if __name__ == "__main__":                   # children import this file: start nothing there
    pool = Pool(3)
    for number in range(int(sys.argv[1])):
        pool.apply_async(task, (number,))
    pool.close()
    pool.join()
    print("done")
