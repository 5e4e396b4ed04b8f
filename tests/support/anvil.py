"""Anvil (a real EVM node) for the EVM tests and benchmark, plus hand-assembled contracts.

The binary comes from npm `@foundry-rs/anvil-linux-amd64` (pinned in package.json,
installed by `make setup`). Tests skip with a clear message when it is missing.
There is no Solidity compiler here, so the contracts are written in EVM assembly
and assembled by the tiny assembler below (opcodes + labels).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from eth_account import Account
from eth_utils import keccak, to_checksum_address

ROOT = Path(__file__).resolve().parents[2]
ANVIL_BIN = Path(os.environ.get("COSTBASIS_ANVIL", ROOT / "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"))
GWEI = 10**9
ETH = 10**18
CHAIN_ID = 31337
# anvil's first default (unlocked, pre-funded) account
DEV0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()


class Anvil:
    def __init__(self, genesis_timestamp: int | None = None, extra: list[str] | None = None):
        if not ANVIL_BIN.is_file():
            pytest.skip(f"anvil binary not found at {ANVIL_BIN}; run `make setup` (npm install) to get it")
        cmd = [str(ANVIL_BIN), "--host", "127.0.0.1", "--port", "0"]
        if genesis_timestamp is not None:
            cmd += ["--timestamp", str(genesis_timestamp)]
        cmd += extra or []
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 30
        port = None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.search(r"Listening on [\d.]+:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
        if port is None:
            self.stop()
            raise RuntimeError("anvil did not print its 'Listening on' line")
        # Drain further output so anvil never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()
        self.url = f"http://127.0.0.1:{port}"
        self.session = requests.Session()

    def rpc(self, method: str, params: list | None = None):
        r = self.session.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).json()
        if r.get("error"):
            raise RuntimeError(f"{method}: {r['error']}")
        return r["result"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()

    # ------------------------------------------------------------- helpers
    def block_number(self) -> int:
        return int(self.rpc("eth_blockNumber"), 16)

    def mine(self, timestamp: int) -> int:
        """Mine one block at `timestamp` holding every pending transaction; returns its number."""
        self.rpc("evm_mine", [{"timestamp": timestamp, "blocks": 1}])
        return self.block_number()

    def send_raw(self, raw: bytes) -> str:
        return self.rpc("eth_sendRawTransaction", ["0x" + raw.hex()])

    def send_dev(self, frm: str, to: str | None, value: int = 0, data: str = "0x", gas: int = 300_000,
                 gas_price: int = 10 * GWEI, nonce: int | None = None) -> str:
        tx = {"from": frm, "value": hex(value), "data": data, "gas": hex(gas), "gasPrice": hex(gas_price)}
        if to:
            tx["to"] = to
        if nonce is not None:
            tx["nonce"] = hex(nonce)
        return self.rpc("eth_sendTransaction", [tx])

    def receipt(self, h: str) -> dict:
        return self.rpc("eth_getTransactionReceipt", [h])

    def wait_mined(self, h: str, timeout: float = 10.0) -> dict:
        """Automine answers eth_sendTransaction before the block exists; wait for the receipt
        so the next send cannot land in the same block."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.receipt(h)
            if r:
                return r
            time.sleep(0.01)
        raise TimeoutError(f"transaction {h} not mined after {timeout}s")


class Wallet:
    """A fresh key with an explicit nonce counter (so several sends can share a block)."""

    def __init__(self, name: str):
        self.account = Account.from_key(keccak(text=name))
        self.address = self.account.address.lower()
        self.nonce = 0

    def tx(self, to: str | None, value: int = 0, data: bytes = b"", gas: int = 21_000, gas_price: int = 10 * GWEI) -> bytes:
        t = {"nonce": self.nonce, "gasPrice": gas_price, "gas": gas, "value": value, "data": data, "chainId": CHAIN_ID}
        if to:
            t["to"] = to_checksum_address(to)
        self.nonce += 1
        signed = self.account.sign_transaction(t)
        return signed.raw_transaction


# ------------------------------------------------------------------ assembler
OPS = {
    "STOP": 0x00, "ADD": 0x01, "SUB": 0x03, "DIV": 0x04, "LT": 0x10, "EQ": 0x14, "ISZERO": 0x15, "SHR": 0x1C,
    "CALLER": 0x33, "CALLVALUE": 0x34, "CALLDATALOAD": 0x35, "CALLDATASIZE": 0x36, "CODECOPY": 0x39,
    "POP": 0x50, "MSTORE": 0x52, "SLOAD": 0x54, "SSTORE": 0x55, "JUMP": 0x56, "JUMPI": 0x57, "GAS": 0x5A,
    "JUMPDEST": 0x5B, "DUP1": 0x80, "DUP2": 0x81, "DUP3": 0x82, "DUP5": 0x84, "SWAP1": 0x90,
    "LOG3": 0xA3, "CALL": 0xF1, "RETURN": 0xF3, "REVERT": 0xFD,
}


def assemble(program: list) -> bytes:
    """Items: opcode name, ("PUSHn", int|bytes), ("PUSHL", label) = PUSH2 label offset, (":", label)."""
    def size(item):
        if isinstance(item, str):
            return 1
        op, arg = item
        if op == ":":
            return 1  # JUMPDEST
        if op == "PUSHL":
            return 3
        return 1 + int(op[4:])

    labels, pos = {}, 0
    for item in program:
        if isinstance(item, tuple) and item[0] == ":":
            labels[item[1]] = pos
        pos += size(item)
    out = bytearray()
    for item in program:
        if isinstance(item, str):
            out.append(OPS[item])
            continue
        op, arg = item
        if op == ":":
            out.append(OPS["JUMPDEST"])
        elif op == "PUSHL":
            out += bytes([0x61]) + labels[arg].to_bytes(2, "big")
        else:
            n = int(op[4:])
            data = arg if isinstance(arg, bytes) else int(arg).to_bytes(n, "big")
            assert len(data) == n, item
            out += bytes([0x5F + n]) + data
    return bytes(out)


def deploy_code(runtime: bytes, constructor: list | None = None) -> bytes:
    """Init code: run `constructor`, then copy `runtime` (appended after the init code) and return it."""
    pre = assemble(constructor or [])
    tail_len = 3 + 1 + 3 + 2 + 1 + 2 + 1
    offset = len(pre) + tail_len
    tail = assemble([("PUSH2", len(runtime)), "DUP1", ("PUSH2", offset), ("PUSH1", 0), "CODECOPY",
                     ("PUSH1", 0), "RETURN"])
    assert len(tail) == tail_len
    return pre + tail + runtime


TOPIC = bytes.fromhex(TRANSFER_TOPIC[2:])

# Minimal ERC-20: balances at storage slot = holder address; transfer(address,uint256)
# reverts when the balance is short and logs Transfer(from, to, amount); balanceOf(address).
ERC20_RUNTIME = assemble([
    ("PUSH1", 0), "CALLDATALOAD", ("PUSH1", 0xE0), "SHR",
    "DUP1", ("PUSH4", 0xA9059CBB), "EQ", ("PUSHL", "transfer"), "JUMPI",
    "DUP1", ("PUSH4", 0x70A08231), "EQ", ("PUSHL", "balanceOf"), "JUMPI",
    (":", "fail"), ("PUSH1", 0), "DUP1", "REVERT",
    (":", "balanceOf"), ("PUSH1", 4), "CALLDATALOAD", "SLOAD", ("PUSH1", 0), "MSTORE",
    ("PUSH1", 32), ("PUSH1", 0), "RETURN",
    (":", "transfer"),
    ("PUSH1", 0x24), "CALLDATALOAD",              # amt
    "CALLER", "SLOAD",                            # bal amt
    "DUP2", "DUP2", "LT", ("PUSHL", "fail"), "JUMPI",
    "DUP2", "SWAP1", "SUB", "CALLER", "SSTORE",   # balance[caller] = bal - amt ; stack: amt
    ("PUSH1", 4), "CALLDATALOAD", "DUP1", "SLOAD", "DUP3", "ADD", "SWAP1", "SSTORE",  # balance[to] += amt
    ("PUSH1", 0), "MSTORE",                       # mem[0] = amt
    ("PUSH1", 4), "CALLDATALOAD", "CALLER", ("PUSH32", TOPIC), ("PUSH1", 32), ("PUSH1", 0), "LOG3",
    ("PUSH1", 1), ("PUSH1", 0), "MSTORE", ("PUSH1", 32), ("PUSH1", 0), "RETURN",
])


def erc20_init(supply: int) -> bytes:
    """Constructor mints `supply` to the deployer and logs Transfer(0x0, deployer, supply)."""
    return deploy_code(ERC20_RUNTIME, [
        ("PUSH32", supply), "CALLER", "SSTORE",
        ("PUSH32", supply), ("PUSH1", 0), "MSTORE",
        "CALLER", ("PUSH1", 0), ("PUSH32", TOPIC), ("PUSH1", 32), ("PUSH1", 0), "LOG3",
    ])


def splitter_init(a: str, b: str) -> bytes:
    """Forwards half of msg.value to `a` and the rest to `b`; reverts when called with data."""
    A, B = bytes.fromhex(a[2:]), bytes.fromhex(b[2:])
    runtime = assemble([
        "CALLDATASIZE", ("PUSHL", "fail"), "JUMPI",
        ("PUSH1", 2), "CALLVALUE", "DIV",                                  # half
        ("PUSH1", 0), "DUP1", "DUP1", "DUP1", "DUP5", ("PUSH20", A), "GAS", "CALL", "POP",
        "CALLVALUE", "SUB",                                                # rest = value - half
        ("PUSH1", 0), "DUP1", "DUP1", "DUP1", "DUP5", ("PUSH20", B), "GAS", "CALL", "POP", "POP", "STOP",
        (":", "fail"), ("PUSH1", 0), "DUP1", "REVERT",
    ])
    return deploy_code(runtime)


REVERTER_INIT = deploy_code(assemble([("PUSH1", 0), "DUP1", "REVERT"]))


def transfer_data(to: str, amount: int) -> bytes:
    return bytes.fromhex("a9059cbb") + bytes(12) + bytes.fromhex(to[2:]) + amount.to_bytes(32, "big")


def contract_address(sender: str, nonce: int) -> str:
    import rlp  # shipped with eth-account / web3
    return "0x" + keccak(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:].hex()


@pytest.fixture(scope="module")
def anvil_factory():
    nodes = []

    def make(**kw) -> Anvil:
        n = Anvil(**kw)
        nodes.append(n)
        return n

    yield make
    for n in nodes:
        n.stop()


# ------------------------------------------------------------------- scenario
DAY = 86_400
GENESIS_TS = 1_577_836_800          # 2020-01-01 00:00 UTC
EXCHANGE = "0x05f51aab068caa6ab7eeb672f88c180f67f17ec7"  # labeled ABCC in ../shared/data/labels (chain=ethereum)
ZERO = "0x" + "00" * 20


def day_ts(day: int, hour: int = 12) -> int:
    """Timestamp on 2020-01-01 + `day` days at `hour`:00 UTC."""
    return GENESIS_TS + day * DAY + hour * 3600


class Scenario:
    """Four blocks on four days exercising every row type. Everything a test needs to
    compute the expected values by hand is recorded here (hashes, gas used)."""

    def __init__(self, node: Anvil):
        self.node = node
        self.alice, self.bob, self.carol = Wallet("alice"), Wallet("bob"), Wallet("carol")
        self.token = contract_address(DEV0, 1)
        self.reverter = contract_address(DEV0, 2)
        self.splitter = contract_address(DEV0, 3)
        self.splitter2 = contract_address(DEV0, 4)
        self.tx: dict[str, str] = {}
        self.blocks: dict[int, int] = {}
        self.supply = 1000 * ETH
        n = node
        node.rpc("evm_setAutomine", [False])
        # Block 1, day 1: funding, deployments, a token payment
        self.tx["fund_alice"] = n.send_dev(DEV0, self.alice.address, 10 * ETH, gas=21_000, nonce=0)
        self.tx["deploy_token"] = n.send_dev(DEV0, None, data="0x" + erc20_init(self.supply).hex(), gas=500_000, nonce=1)
        self.tx["deploy_reverter"] = n.send_dev(DEV0, None, data="0x" + REVERTER_INIT.hex(), gas=200_000, nonce=2)
        self.tx["deploy_splitter"] = n.send_dev(DEV0, None, data="0x" + splitter_init(self.bob.address, self.carol.address).hex(),
                                                gas=300_000, nonce=3)
        self.tx["deploy_splitter2"] = n.send_dev(DEV0, None, data="0x" + splitter_init(self.carol.address, self.reverter).hex(),
                                                 gas=300_000, nonce=4)
        self.tx["token_to_alice"] = n.send_dev(DEV0, self.token, data="0x" + transfer_data(self.alice.address, 100 * ETH).hex(),
                                               gas=100_000, nonce=5)
        self.blocks[1] = n.mine(day_ts(1))
        # Block 2, day 2: alice pays bob, the splitter pays bob and carol, a reverted call, a failed subcall
        self.tx["alice_to_bob"] = n.send_raw(self.alice.tx(self.bob.address, 4 * ETH))
        self.tx["split"] = n.send_dev(DEV0, self.splitter, 3 * ETH, gas=100_000, nonce=6)
        self.tx["split_revert"] = n.send_dev(DEV0, self.splitter, 1 * ETH, data="0x01", gas=100_000, nonce=7)
        self.tx["split2"] = n.send_dev(DEV0, self.splitter2, 2 * ETH, gas=100_000, nonce=8)
        self.blocks[2] = n.mine(day_ts(2))
        # Block 3, day 3: bob pays carol, alice self-transfer, alice token payment, alice deposits to an exchange
        self.tx["bob_to_carol"] = n.send_raw(self.bob.tx(self.carol.address, 2 * ETH))
        self.tx["alice_self"] = n.send_raw(self.alice.tx(self.alice.address, 1 * ETH))
        self.tx["alice_token_to_bob"] = n.send_raw(self.alice.tx(self.token, 0, transfer_data(self.bob.address, 30 * ETH),
                                                                 gas=100_000))
        self.tx["alice_to_exchange"] = n.send_raw(self.alice.tx(EXCHANGE, 2 * ETH))
        self.blocks[3] = n.mine(day_ts(3))
        # Block 4, day 4: bob burns tokens, carol deposits 3 ETH to the exchange
        self.tx["bob_burn"] = n.send_raw(self.bob.tx(self.token, 0, transfer_data(ZERO, 10 * ETH), gas=100_000))
        self.tx["carol_to_exchange"] = n.send_raw(self.carol.tx(EXCHANGE, 3 * ETH))
        self.blocks[4] = n.mine(day_ts(4))
        node.rpc("evm_setAutomine", [True])
        self.receipts = {k: n.receipt(h) for k, h in self.tx.items()}
        for k, r in self.receipts.items():
            expect = 0 if k == "split_revert" else 1
            assert int(r["status"], 16) == expect, (k, r)
        assert [self.blocks[i] for i in range(1, 5)] == [1, 2, 3, 4]

    def gas_used(self, key: str) -> int:
        return int(self.receipts[key]["gasUsed"], 16)

    def fee(self, key: str) -> int:
        return self.gas_used(key) * int(self.receipts[key]["effectiveGasPrice"], 16)
