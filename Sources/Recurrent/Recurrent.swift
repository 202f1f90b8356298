public enum RecurrentModule {}
