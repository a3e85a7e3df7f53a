"""Mock of the ElevenLabs speech-to-text and text-to-speech API."""
