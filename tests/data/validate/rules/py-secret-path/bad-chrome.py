db = base + '/.config/google-chrome/Default/Login Data'
