"""What the checks say, one table per language: English and Chinese (zh-CN).

Chinese when LANLAB_LANG=zh, or when LANLAB_LANG is unset and LANG starts with zh.
A check's key is `<lesson>.<check>`; `.expected` says what a working program does and
`.hint` what to look at when it does not. `seen.*` phrase what was seen. Both tables
have the same keys (a unit test holds them so).
"""
from __future__ import annotations

import os

EN = {
    "label.pass": "PASS", "label.fail": "FAIL", "label.expected": "expected",
    "label.seen": "seen", "label.hint": "hint",
    "summary": "{passed} of {total} checks passed",
    "left-running": "still running after the lesson, killed: {node}: {processes}",
    "no-lesson": "no lesson {lesson!r}; the lessons are: {lessons}",
    "no-workspace": "no workspace folder {path}; make it (`make up` makes work/) or give WORK=dir",
    "grade.student": "{student}: {passed}/{total}",

    "seen.no-file": "no file {path} in the workspace",
    "seen.running": "still running",
    "seen.stopped": "still running at its time limit ({seconds} s): stopped",
    "seen.exited": "ended with exit status {rc}{error}",
    "seen.nothing": "nothing",
    "seen.listener-nothing": "{node}'s listener heard nothing; the sender: {program}",
    "seen.listening": "listening on port {port}",
    "seen.no-out": "no OUT file written",
    "seen.bytes": "got {got} of {total} bytes",
    "seen.other-bytes": "{total} bytes, but not the same bytes (SHA-256 differs)",
    "seen.same-bytes": "{total} bytes, the same SHA-256",
    "seen.leaked": "sent the file for {names}",
    "seen.refused": "nothing of /etc/passwd came back",
    "seen.bound": "both bound their ports ({ports})",
    "seen.after-exit": "still running {seconds} s after `exit`: stopped",
    "seen.not-ended": "had not ended after {seconds} s: stopped",
    "seen.should-be": "should be {value}",
    "seen.all-right": "all {cases} cases right",
    "seen.exit": "ended, exit status {rc}",
    "seen.items": "{count} items eaten, {missing} missing, twice: {twice}",
    "seen.pids": "{count} different process ids",
    "seen.answer": "answered {answer}",
    "seen.answers": "{ok} OK, {sold_out} SOLD OUT, {other} other or none",
    "seen.sold": "{ok} OK for {count} tickets",
    "seen.numbers": "sold twice: {twice}; outside 1..100: {outside}; {distinct} different numbers",

    "udp.receiver-text.expected": "receiver on carol:9090 prints a line holding {text} (sent by `chat send` from alice)",
    "udp.receiver-text.hint": "bind ('', PORT) with PORT from sys.argv[1], then recvfrom in a loop and print the decoded data",
    "udp.receiver-address.expected": "that line also holds the sender's address {address}",
    "udp.receiver-address.hint": "recvfrom returns (data, (address, port)): print the address too",
    "udp.receiver-each.expected": "two datagrams from bob ({first}, {second}): one line each",
    "udp.receiver-each.hint": "one recvfrom is one datagram: loop forever and print once per datagram",
    "udp.receiver-other-way.expected": "receiver on alice prints {text}, sent by netcat on carol",
    "udp.receiver-other-way.hint": "listen on every address ('' or 0.0.0.0), not on one written into the script",
    "udp.sender-by-name.expected": "`sender.py {host} 9090 {text}` on alice: {node}'s listener hears it from {address}",
    "udp.sender-by-name.hint": "sendto((HOST, PORT)) with a name works: the lab's DNS resolves it; send TEXT encoded, once",
    "udp.sender-by-address.expected": "`sender.py {host} 9090 {text}` on carol: {node}'s listener hears it from {address}",
    "udp.sender-by-address.hint": "take HOST, PORT and TEXT from sys.argv; PORT is int(sys.argv[2])",

    "tcp.server-listens.expected": "server on {node} listens on TCP {port}",
    "tcp.server-listens.hint": "bind(('', PORT)), then listen() before accept(); read PORT from sys.argv[1]",
    "tcp.server-echoes.expected": "a client from alice gets {text} back",
    "tcp.server-echoes.hint": "send back what recv returned (sendall), on the client's socket from accept()",
    "tcp.server-next-client.expected": "the next clients (netcat on bob, then alice) get {first} and {second} back",
    "tcp.server-next-client.hint": "put accept() in a loop: close each client's socket and accept the next one",
    "tcp.server-keeps-running.expected": "the server still runs after three clients",
    "tcp.server-keeps-running.hint": "the server runs forever: never close the listening socket after one client",
    "tcp.client-prints-reply.expected": "client on alice prints the echo of {text}",
    "tcp.client-prints-reply.hint": "connect((HOST, PORT)), send TEXT, then recv and print what comes back",
    "tcp.client-ends.expected": "the client ends by itself, exit status 0",
    "tcp.client-ends.hint": "after printing the reply, close the socket and let the program end",

    "download.client-small.expected": "client on alice writes {name} from files:9090, {total} bytes, the same bytes",
    "download.client-small.hint": "send the name, then recv until it returns b'' (the server closed), writing each piece to OUT",
    "download.client-big.expected": "client on alice writes {name}: {total} bytes, the same bytes",
    "download.client-big.hint": "one recv(1024) gets one piece, not the file: loop until recv returns b'' and write every piece",
    "download.server-small.expected": "netcat on alice gets {name} from the server on carol, byte for byte",
    "download.server-small.hint": "read the name with recv, open DIR/name in binary, sendall its bytes, then close the client's socket",
    "download.server-big.expected": "a Python client on bob gets {name}: {total} bytes, the same bytes",
    "download.server-big.hint": "serve more than one client (accept in a loop), and send the whole file: sendall, or send in a loop",
    "download.server-refuses-outside.expected": "../../etc/passwd and /etc/passwd are refused: nothing outside DIR is sent",
    "download.server-refuses-outside.hint": "resolve DIR/name (os.path.realpath) and refuse it unless it is inside DIR",

    "chat.chat-starts.expected": "chat on alice binds UDP {first}, chat on bob binds UDP {second}",
    "chat.chat-starts.hint": "bind(('', PORT)) with PORT from sys.argv[1]; PEER and PEER_PORT are sys.argv[2] and [3]",
    "chat.alice-to-bob.expected": "a line typed on alice ({text}) is printed on bob",
    "chat.alice-to-bob.hint": "the main thread reads input() and sendto((PEER, PEER_PORT)) each line",
    "chat.bob-to-alice.expected": "a line typed on bob ({text}) is printed on alice",
    "chat.bob-to-alice.hint": "the second thread loops on recvfrom and prints: start it before reading the keyboard",
    "chat.hears-anyone.expected": "a datagram from netcat on carol ({text}) is printed on alice",
    "chat.hears-anyone.hint": "print every datagram received on PORT, whoever sent it",
    "chat.exit-ends.expected": "`exit` typed on each ends both programs within {seconds} s, exit status 0",
    "chat.exit-ends.hint": "a thread still in recvfrom keeps the program alive: make it a daemon thread, or close the socket",

    "locks.tickets-listens.expected": "ticket office on files listens on TCP {port}",
    "locks.tickets-listens.hint": "bind(('', PORT)), listen(), accept in a loop, one thread per client",
    "locks.every-buyer-answered.expected": "all {total} buyers get `OK <n>` or `SOLD OUT`",
    "locks.every-buyer-answered.hint": "answer every client, also after the last ticket: a thread per client, listen() with a long queue",
    "locks.exactly-count-sold.expected": "exactly {count} buyers get OK",
    "locks.exactly-count-sold.hint": "check the counter and change it under one lock: `with lock:` around both",
    "locks.each-number-once.expected": "the numbers 1..{count}, each once",
    "locks.each-number-once.hint": "take the number and count the sale in the same locked block",

    "network.bob-first-hop.expected": "bob-first-hop: where alice's packets to bob go first (direct or router)",
    "network.bob-first-hop.hint": "bob is in alice's own subnet: look at `ip route get` for bob's address on alice",
    "network.carol-first-hop.expected": "carol-first-hop: where alice's packets to carol go first",
    "network.carol-first-hop.hint": "carol is on lan-b: a packet for another subnet goes to the default gateway",
    "network.arp-for-carol.expected": "arp-for-carol: whose MAC alice asks for to reach carol (carol or router)",
    "network.arp-for-carol.hint": "ARP only reaches the own subnet: watch `make capture NET=lan-a` while alice pings carol",
    "network.broadcast-reaches-carol.expected": "broadcast-reaches-carol: does alice's broadcast reach carol (yes or no)",
    "network.broadcast-reaches-carol.hint": "a router does not forward broadcasts: try `chat broadcast` on alice and watch carol",

    "mask.network-broadcast.expected": "network and broadcast right in all {cases} cases (the AND with the mask; all host bits 1)",
    "mask.network-broadcast.hint": "network = address AND mask; broadcast = network OR (NOT mask); ipaddress.IPv4Interface helps",
    "mask.hosts.expected": "usable hosts right in all {cases} cases (class A: 16,777,214)",
    "mask.hosts.hint": "2 to the number of host bits, minus 2 (the network and the broadcast address)",
    "mask.class.expected": "class (A-E) right in all {cases} cases, from the first octet",
    "mask.class.hint": "A 1-127, B 128-191, C 192-223, D 224-239, E 240-255: each class has its own range",
    "mask.private.expected": "private yes/no right in all {cases} cases",
    "mask.private.hint": "private: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16",
    "mask.same-network.expected": "same network yes/no right (alice and carol: no at /24, yes at /16)",
    "mask.same-network.hint": "two addresses share a network when both AND the mask give the same result",

    "dhcp-dns-gateway.address.expected": "address: bob's leased address and prefix, {value}",
    "dhcp-dns-gateway.address.hint": "the lease is on bob's interface: read `ip -4 addr` (or ask the kernel from Python)",
    "dhcp-dns-gateway.gateway.expected": "gateway: bob's default gateway, {value}",
    "dhcp-dns-gateway.gateway.hint": "the default route's `via`: `ip route show default`",
    "dhcp-dns-gateway.dns.expected": "dns: the name server DHCP gave bob, {value}",
    "dhcp-dns-gateway.dns.hint": "the `nameserver` line of /etc/resolv.conf",
    "dhcp-dns-gateway.lookup.expected": "`lookup.py files` prints files' address {value}",
    "dhcp-dns-gateway.lookup.hint": "socket.gethostbyname(NAME) asks the resolver, which asks the lab's DNS",
    "dhcp-dns-gateway.lookup-missing.expected": "`lookup.py {name}`: one line saying there is no such name, exit status 1",
    "dhcp-dns-gateway.lookup-missing.hint": "catch socket.gaierror, print one line, sys.exit(1): no traceback",

    "ports.free-port.expected": "`bind.py {port}` as the learner: bound {port}",
    "ports.free-port.hint": "bind(('', PORT)) then listen(); print `bound PORT` when it worked",
    "ports.low-port.expected": "`bind.py {port}`: refused {port}, permission denied (below 1024 only root listens)",
    "ports.low-port.hint": "catch OSError (PermissionError) and print `refused PORT: ` with its text; exit 0",
    "ports.busy-port.expected": "`bind.py {port}` on files: refused {port}, address in use (the file server has it)",
    "ports.busy-port.hint": "catch OSError (errno 98, Address already in use) and print it; exit 0",

    "queues.ends.expected": "the bakery ends by itself within {seconds} s, exit status 0",
    "queues.ends.hint": "consumers wait in get() forever: put one marker (None) per consumer after the producers end",
    "queues.every-item-once.expected": "all {total} items eaten, each once",
    "queues.every-item-once.hint": "one Queue shared by all threads; each get() takes an item off once",

    "processes.ends.expected": "the program ends by itself within {seconds} s, exit status 0",
    "processes.ends.hint": "put the pool's start under `if __name__ == \"__main__\":`, then close() and join()",
    "processes.every-task-once.expected": "`task <i> pid <pid>` for i from 0 to {total} - 1, each once",
    "processes.every-task-once.hint": "apply_async once per task; print inside the task",
    "processes.several-processes.expected": "the tasks ran in more than one process",
    "processes.several-processes.hint": "use multiprocessing.Pool(3), not threads; print os.getpid() in the task",
    "processes.done-last.expected": "`done` is the last line: the main process waited for the pool",
    "processes.done-last.hint": "pool.close(), then pool.join(), then print done",
}

ZH = {
    "label.pass": "通过", "label.fail": "未通过", "label.expected": "应当",
    "label.seen": "实际", "label.hint": "提示",
    "summary": "{total} 项检查通过了 {passed} 项",
    "left-running": "课程结束后仍在运行，已结束：{node}：{processes}",
    "no-lesson": "没有 {lesson!r} 这一课；现有的课是：{lessons}",
    "no-workspace": "没有工作目录 {path}；先建立它（`make up` 会建立 work/），或用 WORK=目录 指定",
    "grade.student": "{student}：{passed}/{total}",

    "seen.no-file": "工作目录里没有 {path}",
    "seen.running": "仍在运行",
    "seen.stopped": "到了时间上限（{seconds} 秒）仍在运行，已被停止",
    "seen.exited": "已退出，退出码 {rc}{error}",
    "seen.nothing": "什么也没有",
    "seen.listener-nothing": "{node} 的监听程序什么也没收到；发送程序：{program}",
    "seen.listening": "正在监听端口 {port}",
    "seen.no-out": "没有写出 OUT 文件",
    "seen.bytes": "收到 {total} 字节中的 {got} 字节",
    "seen.other-bytes": "{total} 字节，但内容不同（SHA-256 不一致）",
    "seen.same-bytes": "{total} 字节，SHA-256 相同",
    "seen.leaked": "对 {names} 发出了文件内容",
    "seen.refused": "/etc/passwd 的内容一点也没有传回来",
    "seen.bound": "两边都绑定了端口（{ports}）",
    "seen.after-exit": "输入 `exit` {seconds} 秒后仍在运行，已被停止",
    "seen.not-ended": "{seconds} 秒后还没有结束，已被停止",
    "seen.should-be": "应为 {value}",
    "seen.all-right": "{cases} 个例子全部正确",
    "seen.exit": "已结束，退出码 {rc}",
    "seen.items": "吃掉 {count} 个面包，缺 {missing} 个，重复：{twice}",
    "seen.pids": "{count} 个不同的进程号",
    "seen.answer": "回答是 {answer}",
    "seen.answers": "{ok} 个 OK，{sold_out} 个 SOLD OUT，{other} 个其他回答或没有回答",
    "seen.sold": "{count} 张票卖出了 {ok} 个 OK",
    "seen.numbers": "重复卖出的票号：{twice}；超出 1..100 的票号：{outside}；共 {distinct} 个不同票号",

    "udp.receiver-text.expected": "carol:9090 上的接收程序打印出一行包含 {text} 的内容（由 alice 上的 `chat send` 发出）",
    "udp.receiver-text.hint": "用 sys.argv[1] 的端口号 bind(('', 端口))，然后循环 recvfrom，把解码后的数据打印出来",
    "udp.receiver-address.expected": "这一行里还有发送方的地址 {address}",
    "udp.receiver-address.hint": "recvfrom 返回 (数据, (地址, 端口))：把地址也打印出来",
    "udp.receiver-each.expected": "bob 发来的两个数据报（{first}、{second}）各打印一行",
    "udp.receiver-each.hint": "一次 recvfrom 收一个数据报：一直循环，每个数据报打印一次",
    "udp.receiver-other-way.expected": "alice 上的接收程序打印出 carol 上 netcat 发来的 {text}",
    "udp.receiver-other-way.hint": "在所有地址上监听（'' 或 0.0.0.0），不要把某个地址写死在程序里",
    "udp.sender-by-name.expected": "在 alice 上运行 `sender.py {host} 9090 {text}`：{node} 的监听程序收到它，来自 {address}",
    "udp.sender-by-name.hint": "sendto((主机, 端口)) 可以直接用名字：实验室的 DNS 会解析它；把 TEXT 编码后发送一次",
    "udp.sender-by-address.expected": "在 carol 上运行 `sender.py {host} 9090 {text}`：{node} 的监听程序收到它，来自 {address}",
    "udp.sender-by-address.hint": "HOST、PORT、TEXT 都从 sys.argv 取；PORT 要写成 int(sys.argv[2])",

    "tcp.server-listens.expected": "{node} 上的服务器在 TCP {port} 端口监听",
    "tcp.server-listens.hint": "先 bind(('', 端口))，再 listen()，然后 accept()；端口号来自 sys.argv[1]",
    "tcp.server-echoes.expected": "alice 上的客户端收到原样返回的 {text}",
    "tcp.server-echoes.hint": "在 accept() 得到的客户端 socket 上，把 recv 收到的内容用 sendall 发回去",
    "tcp.server-next-client.expected": "接下来的客户端（bob 上的 netcat，再是 alice）分别收回 {first} 和 {second}",
    "tcp.server-next-client.hint": "把 accept() 放进循环：关闭一个客户端的 socket 后接受下一个",
    "tcp.server-keeps-running.expected": "服务过三个客户端后服务器仍在运行",
    "tcp.server-keeps-running.hint": "服务器要一直运行：服务完一个客户端后不要关闭监听的 socket",
    "tcp.client-prints-reply.expected": "alice 上的客户端打印出 {text} 的回显",
    "tcp.client-prints-reply.hint": "connect((主机, 端口))，send 发送 TEXT，再 recv 并打印收到的内容",
    "tcp.client-ends.expected": "客户端自己结束，退出码 0",
    "tcp.client-ends.hint": "打印回复后关闭 socket，让程序结束",

    "download.client-small.expected": "alice 上的客户端从 files:9090 下载 {name}，{total} 字节，内容完全相同",
    "download.client-small.hint": "先发送文件名，再一直 recv 到返回 b''（服务器关闭连接），每一段都写进 OUT",
    "download.client-big.expected": "alice 上的客户端写出 {name}：{total} 字节，内容完全相同",
    "download.client-big.hint": "一次 recv(1024) 只拿到一段，不是整个文件：循环到 recv 返回 b''，每一段都要写",
    "download.server-small.expected": "alice 上的 netcat 从 carol 上的服务器取得 {name}，逐字节相同",
    "download.server-small.hint": "用 recv 读文件名，以二进制打开 DIR/文件名，sendall 发出全部内容，然后关闭客户端 socket",
    "download.server-big.expected": "bob 上的 Python 客户端取得 {name}：{total} 字节，内容完全相同",
    "download.server-big.hint": "要服务不止一个客户端（accept 放进循环），并发送整个文件：用 sendall，或循环 send",
    "download.server-refuses-outside.expected": "拒绝 ../../etc/passwd 和 /etc/passwd：DIR 以外的文件一律不发",
    "download.server-refuses-outside.hint": "用 os.path.realpath 求出 DIR/文件名 的真实路径，不在 DIR 里面就拒绝",

    "chat.chat-starts.expected": "alice 上的聊天程序绑定 UDP {first}，bob 上的绑定 UDP {second}",
    "chat.chat-starts.hint": "用 sys.argv[1] 的端口号 bind(('', 端口))；PEER 和 PEER_PORT 是 sys.argv[2] 和 [3]",
    "chat.alice-to-bob.expected": "在 alice 上输入的一行（{text}）在 bob 上打印出来",
    "chat.alice-to-bob.hint": "主线程用 input() 读取，每一行都 sendto((PEER, PEER_PORT))",
    "chat.bob-to-alice.expected": "在 bob 上输入的一行（{text}）在 alice 上打印出来",
    "chat.bob-to-alice.hint": "第二个线程循环 recvfrom 并打印：在读键盘之前就启动它",
    "chat.hears-anyone.expected": "carol 上 netcat 发来的数据报（{text}）在 alice 上打印出来",
    "chat.hears-anyone.hint": "PORT 上收到的每个数据报都要打印，不管是谁发的",
    "chat.exit-ends.expected": "两边各输入 `exit` 后，两个程序在 {seconds} 秒内结束，退出码 0",
    "chat.exit-ends.hint": "还停在 recvfrom 里的线程会让程序无法结束：把它设为守护线程（daemon），或关闭 socket",

    "locks.tickets-listens.expected": "files 上的售票处在 TCP {port} 端口监听",
    "locks.tickets-listens.hint": "bind(('', 端口))，listen()，循环 accept，每个客户端一个线程",
    "locks.every-buyer-answered.expected": "全部 {total} 个买票的都收到 `OK <n>` 或 `SOLD OUT`",
    "locks.every-buyer-answered.hint": "每个客户端都要回答，票卖完以后也一样：每个客户端一个线程，listen() 的队列要够长",
    "locks.exactly-count-sold.expected": "正好 {count} 个买票的收到 OK",
    "locks.exactly-count-sold.hint": "检查余票和修改余票要在同一把锁里：用 `with lock:` 把两步都包起来",
    "locks.each-number-once.expected": "票号 1..{count} 各出现一次",
    "locks.each-number-once.hint": "取票号和记下卖出要在同一个加锁的代码块里完成",

    "network.bob-first-hop.expected": "bob-first-hop：alice 发给 bob 的包先到哪里（direct 或 router）",
    "network.bob-first-hop.hint": "bob 和 alice 在同一个子网：在 alice 上对 bob 的地址运行 `ip route get` 看看",
    "network.carol-first-hop.expected": "carol-first-hop：alice 发给 carol 的包先到哪里",
    "network.carol-first-hop.hint": "carol 在 lan-b：发往别的子网的包先交给默认网关",
    "network.arp-for-carol.expected": "arp-for-carol：为了到达 carol，alice 用 ARP 询问谁的 MAC（carol 或 router）",
    "network.arp-for-carol.hint": "ARP 只在本子网内：alice ping carol 时用 `make capture NET=lan-a` 观察",
    "network.broadcast-reaches-carol.expected": "broadcast-reaches-carol：alice 的广播能否到达 carol（yes 或 no）",
    "network.broadcast-reaches-carol.hint": "路由器不转发广播：在 alice 上试 `chat broadcast`，看 carol 收不收得到",

    "mask.network-broadcast.expected": "{cases} 个例子的网络地址和广播地址全对（与掩码做与运算；主机位全为 1）",
    "mask.network-broadcast.hint": "网络地址 = 地址 AND 掩码；广播地址 = 网络地址 OR (NOT 掩码)；可以用 ipaddress.IPv4Interface",
    "mask.hosts.expected": "{cases} 个例子的可用主机数全对（A 类：16,777,214）",
    "mask.hosts.hint": "2 的主机位数次方，再减 2（网络地址和广播地址）",
    "mask.class.expected": "{cases} 个例子的地址类别（A-E）全对，看第一个字节",
    "mask.class.hint": "A 1-127，B 128-191，C 192-223，D 224-239，E 240-255：每一类有自己的范围",
    "mask.private.expected": "{cases} 个例子的私有地址判断全对",
    "mask.private.hint": "私有地址：10.0.0.0/8、172.16.0.0/12、192.168.0.0/16",
    "mask.same-network.expected": "是否同一网段判断正确（alice 和 carol：/24 时不是，/16 时是）",
    "mask.same-network.hint": "两个地址分别与掩码做与运算，结果相同就在同一网段",

    "dhcp-dns-gateway.address.expected": "address：bob 租到的地址和前缀，{value}",
    "dhcp-dns-gateway.address.hint": "租约就在 bob 的网卡上：读 `ip -4 addr`（或在 Python 里问内核）",
    "dhcp-dns-gateway.gateway.expected": "gateway：bob 的默认网关，{value}",
    "dhcp-dns-gateway.gateway.hint": "默认路由的 `via`：`ip route show default`",
    "dhcp-dns-gateway.dns.expected": "dns：DHCP 给 bob 的域名服务器，{value}",
    "dhcp-dns-gateway.dns.hint": "/etc/resolv.conf 里的 `nameserver` 行",
    "dhcp-dns-gateway.lookup.expected": "`lookup.py files` 打印出 files 的地址 {value}",
    "dhcp-dns-gateway.lookup.hint": "socket.gethostbyname(名字) 会问解析器，解析器再问实验室的 DNS",
    "dhcp-dns-gateway.lookup-missing.expected": "`lookup.py {name}`：打印一行说明没有这个名字，退出码 1",
    "dhcp-dns-gateway.lookup-missing.hint": "捕获 socket.gaierror，打印一行，sys.exit(1)：不要出现 traceback",

    "ports.free-port.expected": "以 learner 身份运行 `bind.py {port}`：bound {port}",
    "ports.free-port.hint": "bind(('', 端口)) 再 listen()；成功时打印 `bound 端口`",
    "ports.low-port.expected": "`bind.py {port}`：refused {port}，权限不够（1024 以下只有 root 能监听）",
    "ports.low-port.hint": "捕获 OSError（PermissionError），打印 `refused 端口: ` 和原因；退出码 0",
    "ports.busy-port.expected": "在 files 上运行 `bind.py {port}`：refused {port}，地址已被占用（文件服务器在用）",
    "ports.busy-port.hint": "捕获 OSError（errno 98，Address already in use）并打印；退出码 0",

    "queues.ends.expected": "面包店在 {seconds} 秒内自己结束，退出码 0",
    "queues.ends.hint": "消费者会一直停在 get() 里：生产者结束后，给每个消费者放一个结束标记（None）",
    "queues.every-item-once.expected": "全部 {total} 个面包都被吃掉，每个一次",
    "queues.every-item-once.hint": "所有线程共用一个 Queue；每次 get() 取走一个",

    "processes.ends.expected": "程序在 {seconds} 秒内自己结束，退出码 0",
    "processes.ends.hint": "把进程池的启动放在 `if __name__ == \"__main__\":` 下面，然后 close() 再 join()",
    "processes.every-task-once.expected": "`task <i> pid <pid>`，i 从 0 到 {total} - 1，每个一次",
    "processes.every-task-once.hint": "每个任务调用一次 apply_async；在任务里打印",
    "processes.several-processes.expected": "任务在不止一个进程里运行",
    "processes.several-processes.hint": "用 multiprocessing.Pool(3)，不要用线程；在任务里打印 os.getpid()",
    "processes.done-last.expected": "最后一行是 `done`：主进程等进程池结束",
    "processes.done-last.hint": "先 pool.close()，再 pool.join()，最后打印 done",
}

TABLES = {"en": EN, "zh": ZH}


def language(environ=None) -> str:
    environ = os.environ if environ is None else environ
    chosen = environ.get("LANLAB_LANG") or ""
    if chosen:
        return "zh" if chosen.lower().startswith("zh") else "en"
    return "zh" if environ.get("LANG", "").lower().startswith("zh") else "en"


class Blank(dict):
    """Values a message names but the caller did not give read as '?'."""

    def __missing__(self, key: str) -> str:
        return "?"


class Messages:
    def __init__(self, lang: str | None = None):
        self.lang = lang or language()
        self.table = TABLES[self.lang]

    def text(self, key: str, **values) -> str:
        return self.table.get(key, EN.get(key, key)).format_map(Blank(values))
