"""tests of bot/store"""
