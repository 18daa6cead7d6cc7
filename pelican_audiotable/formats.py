"""The audio formats the plugin reads, by file extension.

Kept apart from the readers so that the first look at every page (``scan``) needs
nothing else.
"""

from __future__ import annotations

#: Extensions that make a linked file a clip, with the format each promises.
AUDIO_EXTENSIONS = {
    ".mp3": "MP3",
    ".ogg": "Ogg",
    ".oga": "Ogg",
    ".opus": "Ogg",
    ".flac": "FLAC",
    ".m4a": "MP4",
    ".mp4": "MP4",
    ".wav": "WAV",
}

#: The format (container) of each kind of audio the reader tells apart.
FORMAT_OF_KIND = {
    "mp3": "MP3",
    "wav": "WAV",
    "flac": "FLAC",
    "opus": "Ogg",
    "vorbis": "Ogg",
    "ogg-flac": "Ogg",
    "speex": "Ogg",
    "mp4": "MP4",
}
