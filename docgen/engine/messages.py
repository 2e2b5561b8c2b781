"""Words for people that several modules share: operating-system errors, the language.

Messages are Chinese; ``docgen --lang en`` (or ``LANG=en…``/``C``) switches the command line's
own words and the operating-system errors to English. Codes never change with the language.

>>> import errno
>>> os_error_text(FileExistsError(errno.EEXIST, "File exists"))
'文件已存在'
>>> os_error_text(OSError(errno.ENOSPC, "No space left on device"), "en")
'No space left on device'
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping

#: The languages the command line speaks.
LANGUAGES = ("zh", "en")

_state = {"language": "zh"}

#: errno → what the operating system's error means, in Chinese.
OS_ERRORS: dict[int, str] = {
    errno.EEXIST: "文件已存在",
    errno.EACCES: "权限不足",
    errno.EPERM: "权限不足（操作不被允许）",
    errno.ENOSPC: "磁盘已满",
    errno.EDQUOT: "超出磁盘配额",
    errno.ENOENT: "找不到文件或文件夹",
    errno.ENAMETOOLONG: "文件名过长",
    errno.EROFS: "磁盘或文件夹是只读的",
    errno.EISDIR: "这是一个文件夹",
    errno.ENOTDIR: "路径中有一项不是文件夹",
    errno.EBUSY: "文件正被其他程序占用",
    errno.ETXTBSY: "文件正被其他程序占用",
    errno.EIO: "磁盘读写出错",
    errno.ELOOP: "符号链接层数过多（可能是循环链接）",
    errno.EMFILE: "打开的文件过多",
    errno.ENFILE: "打开的文件过多",
    errno.EFBIG: "文件过大",
    errno.EINVAL: "文件名或参数无效",
    errno.EXDEV: "不能跨磁盘移动文件",
    errno.ENOTEMPTY: "文件夹不是空的",
    errno.EPIPE: "输出管道已关闭",
}


def set_language(language: str) -> None:
    """Make `language` (``zh`` or ``en``) the language of the words this module gives."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    _state["language"] = language


def language() -> str:
    """The language in use: ``zh`` (the default) or ``en``."""
    return _state["language"]


def language_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """``en`` when the locale (LC_ALL, LC_MESSAGES, LANG, first set) is English (``en_…``) or
    plain ``C``/``POSIX``; else ``zh``. ``C.UTF-8``, the default of many servers and containers,
    says nothing about the language and keeps Chinese.

    >>> language_from_environment({"LANG": "en_US.UTF-8"}), language_from_environment({})
    ('en', 'zh')
    >>> language_from_environment({"LANG": "C"}), language_from_environment({"LANG": "C.UTF-8"})
    ('en', 'zh')
    """
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            lowered = value.lower()
            return "en" if lowered in ("c", "posix") or lowered.startswith("en") else "zh"
    return "zh"


def os_error_text(exc: OSError, lang: str | None = None) -> str:
    """What `exc` means, in Chinese (or in the system's English with `lang` ``en``)."""
    english = exc.strerror or str(exc) or type(exc).__name__
    if (lang or language()) == "en":
        return english
    return OS_ERRORS.get(exc.errno or -1, english)
