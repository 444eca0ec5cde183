from pathlib import Path
prof = Path.home() / '.mozilla/firefox'
