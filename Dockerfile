# The lab's one image, for every container: routers, the DHCP and DNS servers and the hosts.
# The lanlab base (built locally by `make base`, no registry) plus our code; each container's
# compose service names its role's program (lanlab/contracts.py, COMMANDS), from the role's
# folder: router/, dhcp/, dns/, nodes/. Few steps: this Docker's builder (no BuildKit) spends
# about two seconds on each.
ARG BASE_IMAGE=lanlab-base:latest
FROM ${BASE_IMAGE}

# A layer code changes do not remake: the file service's files, with its big file made once
# here (the same 100 MiB in every image: its bytes are seeded) rather than at every start;
# `learner`, the ordinary user a learner's programs run as (lanlab/lessons/sandbox.py), its
# uid no one's on the host; dig's +search (`dig bob` asks for bob.lab.internal, as ping does:
# dig ignores resolv.conf's search list unless told, and reads its defaults from ~/.digrc).
COPY nodes/make_big_file.py nodes/files/ /srv/files/
RUN mkdir -p /var/log/lanlab \
 && python3 /srv/files/make_big_file.py /srv/files/big.bin 104857600 \
 && rm /srv/files/make_big_file.py \
 && chmod -R a-w /srv/files \
 && useradd --uid 1500 --user-group --create-home --shell /bin/bash learner \
 && echo +search > /root/.digrc

# Our code (.dockerignore keeps the rest out): the package where python3 finds it, the
# node's commands on PATH, compiled once here rather than in every container at every start.
COPY . /opt/lanlab/
RUN ln -s /opt/lanlab/lanlab /usr/local/lib/python3.11/dist-packages/lanlab \
 && cp /opt/lanlab/nodes/bin/* /usr/local/bin/ \
 && python3 -m compileall -q /opt/lanlab/lanlab

CMD ["python3", "-S", "/opt/lanlab/nodes/entrypoint.py"]
