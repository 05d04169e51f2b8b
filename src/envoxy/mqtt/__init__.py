"""MQTT: the ``mqttc`` dispatcher and its compiled topic router."""
