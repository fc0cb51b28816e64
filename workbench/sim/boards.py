"""The simulated boards and what makes each one different.

Values follow MicroPython's ports (board names, ``sys.platform``, the raw-paste window of
half ``MICROPY_REPL_STDIN_BUFFER_MAX``, the filesystem each port formats its flash with and
``sys.path``) and the background notes on USB bridges and boot times.
``docs/simulated-boards.md`` has the same table for people.
"""

from __future__ import annotations

from workbench.protocol.records import Record, record


@record
class BoardSpec(Record):
    """Everything a simulated board needs to behave like its real counterpart."""

    name: str
    description: str
    implementation: str  # "micropython" or "circuitpython"
    version: tuple[int, int, int]
    build_date: str
    board_name: str  # MICROPY_HW_BOARD_NAME
    mcu_name: str  # MICROPY_HW_MCU_NAME
    platform: str  # sys.platform
    nodename: str
    window: int | None  # raw-paste window in bytes; None: firmware without raw-paste
    baud: int | None  # bytes/s = baud / 10 on a UART bridge; None: native USB, unlimited
    latency_ms: float  # one-way delay added by the USB bridge or USB frames
    boot_time_s: float  # from reset to the first prompt
    boot_messages: bytes  # what the ROM / bootloader prints before MicroPython
    resets_on_lines: bool  # DTR/RTS wired to EN/IO0 (esptool's circuit)
    soft_reboot_text: bytes
    mem_total: int
    freq_hz: int
    usb_vid_pid: str  # what `workbench ports` would show for the real board
    #: How the flash is formatted, which decides what ``os`` offers and which errors it
    #: raises: "littlefs" (MicroPython 1.13 and later on ESP and RP2), "fat" (the Pyboard,
    #: MicroPython before 1.13 on the ESP8266, CircuitPython's CIRCUITPY drive) or "flat"
    #: (the BBC micro:bit: one folder, ``os.listdir``/``remove``/``size`` only).
    filesystem: str = "littlefs"
    #: Where the flash filesystem is mounted; also the current folder at boot. "/" on most
    #: ports; "/flash" on the Pyboard, whose "/" is a virtual folder listing its mounts.
    mount: str = "/"
    sys_path: tuple[str, ...] = ("", ".frozen", "/lib")
    #: ``MICROPY_GIT_TAG`` when the banner shows more than ``v`` + release (a build past a tag).
    git_tag: str = ""
    #: ``os.uname()``'s release, version and machine where the port does not derive them from
    #: the MicroPython release and the board (the micro:bit reports its own release).
    uname: tuple[str, str, str] | None = None
    #: Modules the firmware lacks although CPython has them (``import`` raises ImportError).
    missing_modules: tuple[str, ...] = ()
    #: ``sys.stdin.buffer`` and ``sys.stdout.buffer`` exist (``MICROPY_PY_SYS_STDIO_BUFFER``).
    stdio_buffer: bool = True

    @property
    def machine(self) -> str:
        """``sys.implementation._machine`` / ``os.uname().machine``."""
        return f"{self.board_name} with {self.mcu_name}"

    @property
    def release(self) -> str:
        return ".".join(str(part) for part in self.version)

    @property
    def banner(self) -> bytes:
        """The friendly REPL banner, exactly as the firmware prints it."""
        if self.implementation == "circuitpython":
            head = f"Adafruit CircuitPython {self.release} on {self.build_date}; {self.machine}\r\n"
        else:
            head = f"MicroPython {self.git_tag or 'v' + self.release} on {self.build_date}; {self.machine}\r\n"
            head += 'Type "help()" for more information.\r\n'
        return head.encode()


_ESP32_ROM = (
    b"ets Jun  8 2016 00:22:57\r\n\r\n"
    b"rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"
    b"configsip: 0, SPIWP:0xee\r\nclk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00\r\n"
    b"mode:DIO, clock div:2\r\nload:0x3fff0030,len:4728\r\nload:0x40078000,len:14888\r\n"
    b"entry 0x400805a4\r\n"
)
# The ESP8266 ROM talks at 74880 baud first: at 115200 it arrives as garbage.
_ESP8266_ROM = b"\x00\x8c\xfe\x12r\x8c\x0cl\x8c\x0c\x9c\xe2|\x00\x8cl\x8c\x82\x0e\x0c\x8c\xe2\x8c\xe0\r\n"

BOARDS: dict[str, BoardSpec] = {
    board.name: board
    for board in (
        BoardSpec(
            "generic", "any board on native USB, no rate limit (the embedded default)",
            "micropython", (1, 22, 2), "2024-02-22", "Generic board", "workbench-sim",
            "generic", "generic", 128, None, 0.0, 0.0, b"", False,
            b"MPY: soft reboot\r\n", 192 * 1024, 160_000_000, "f055:9802",
        ),
        BoardSpec(
            "esp32", "ESP32 DevKit behind a CP2102 bridge at 115200 baud; DTR/RTS reset it",
            "micropython", (1, 22, 2), "2024-02-22", "Generic ESP32 module", "ESP32",
            "esp32", "esp32", 128, 115200, 4.0, 0.8, _ESP32_ROM, True,
            b"MPY: soft reboot\r\n", 111 * 1024, 160_000_000, "10c4:ea60",
        ),
        BoardSpec(
            "esp8266", "ESP8266 (NodeMCU) behind a CH340 at 115200 baud; DTR/RTS reset it",
            "micropython", (1, 22, 2), "2024-02-22", "ESP module", "ESP8266",
            "esp8266", "esp8266", 128, 115200, 8.0, 0.6, _ESP8266_ROM, True,
            b"MPY: soft reboot\r\n", 38 * 1024, 80_000_000, "1a86:7523",
        ),
        BoardSpec(
            "rp2040", "Raspberry Pi Pico on native USB CDC",
            "micropython", (1, 22, 2), "2024-02-22", "Raspberry Pi Pico", "RP2040",
            "rp2", "rp2", 128, None, 1.0, 0.3, b"", False,
            b"MPY: soft reboot\r\n", 192 * 1024, 125_000_000, "2e8a:0005",
        ),
        BoardSpec(
            "stm32", "Pyboard v1.1 (STM32F405) on native USB CDC",
            "micropython", (1, 22, 2), "2024-02-22", "PYBv1.1", "STM32F405RG",
            "pyboard", "pyboard", 128, None, 1.0, 0.2, b"", False,
            b"MPY: soft reboot\r\n", 100 * 1024, 168_000_000, "f055:9800",
            filesystem="fat", mount="/flash", sys_path=("", ".frozen", "/flash", "/flash/lib"),
        ),
        BoardSpec(
            "circuitpython", "CircuitPython 8 on a Raspberry Pi Pico (auto-reload, 'soft reboot')",
            "circuitpython", (8, 2, 9), "2023-12-06", "Raspberry Pi Pico", "rp2040",
            "RP2040", "rp2040", 128, None, 1.0, 0.5, b"", False,
            b"soft reboot\r\n", 180 * 1024, 125_000_000, "239a:80f4",
            filesystem="fat", sys_path=("", "/", ".frozen", "/lib"),
        ),
        BoardSpec(
            "legacy", "MicroPython 1.12 (before raw-paste) on an ESP8266 at 115200 baud",
            "micropython", (1, 12, 0), "2019-12-20", "ESP module", "ESP8266",
            "esp8266", "esp8266", None, 115200, 8.0, 0.6, b"", True,
            b"MPY: soft reboot\r\n", 36 * 1024, 80_000_000, "1a86:7523",
            filesystem="fat", sys_path=("", "/lib", "/"),
        ),
        BoardSpec(
            "microbit", "BBC micro:bit v1 (MicroPython 1.9.2) behind its DAPLink at 115200 baud; flat filesystem",
            "micropython", (1, 9, 2), "2018-12-13", "micro:bit v1.0.1", "nRF51822",
            "microbit", "microbit", None, 115200, 5.0, 0.4, b"", False,
            b"soft reboot\r\n", 10 * 1024, 16_000_000, "0d28:0204",
            filesystem="flat", sys_path=("",), git_tag="v1.9.2-34-gd64154c73",
            uname=("1.0.1", "micro:bit v1.0.1+b0bf4a3 on 2018-12-13; MicroPython v1.9.2-34-gd64154c73 on 2018-12-13",
                   "micro:bit with nRF51822"),
            missing_modules=("hashlib", "uhashlib", "binascii", "ubinascii", "io", "uio", "json", "ujson",
                             "re", "ure", "errno", "uerrno", "select", "uselect", "zlib", "uzlib"),
            stdio_buffer=False,
        ),
    )
}

CIRCUITPYTHON_AUTORELOAD = (
    b"\r\nAuto-reload is on. Simply save files over USB to run them or enter REPL to disable.\r\n"
    b"code.py output:\r\n\r\nCode done running.\r\n\r\n"
    b"Press any key to enter the REPL. Use CTRL-D to reload.\r\n"
)


def board(name: str) -> BoardSpec:
    """Look a board up by name; the error lists the known ones."""
    try:
        return BOARDS[name]
    except KeyError:
        known = ", ".join(sorted(BOARDS))
        raise ValueError(f"unknown simulated board {name!r}; known boards: {known}") from None
