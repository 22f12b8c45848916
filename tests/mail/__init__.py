"""tests of bot/mail"""
