# Broken on purpose, and rude: it floods its output, then never ends, and leaves a child
# in a session of its own behind. The check must cut the output, stop it at its time
# limit and kill the child.
import subprocess
import sys
import time

subprocess.Popen(["sleep", "1000"], start_new_session=True)
try:
    for _ in range(3000):
        sys.stdout.write("x" * 1000 + "\n")
    sys.stdout.flush()
except BrokenPipeError:
    pass
time.sleep(1000)
