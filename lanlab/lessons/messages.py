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
